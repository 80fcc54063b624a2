import json, re, csv, io
from lib import *
# KoChatGPT seed questions (exclude ChatbotData rows already in the public corpus source)
C='/work/.mirror/songys+Chatbot_data/repo'
cb=set(norm(r['Q']) for r in csv.DictReader(io.StringIO(git_show(C,'ChatbotData.csv').decode('utf-8-sig'))))
D='/work/.mirror/airobotlab+KoChatGPT/repo'
print('kochat',git_head(D), len(cb))
items=[]
for i,l in enumerate(git_show(D,'data_kochatgpt/kochatgpt_seed_data.txt').decode('utf-8-sig').split('\n')):
    q=l.strip()
    if not q or norm(q) in cb: continue
    items.append((f'{i:05d}',[{'role':'user','content':q}],{'lang':'ko'}))
print('ko candidates',len(items))
write('kochatgpt-seed','no licence file; questions pooled from AI-Hub Korean dialogue/common-sense sets (AI-Hub terms) and KorQuAD 1.0 (CC BY-ND 2.0); Chatbot_data rows removed',items,cap=700)
