import json, re, random, csv, io
from lib import *
# lmsys 1000
D='/work/.mirror/chenwenxiaolive+lmsys-chat-1000/repo'
print('lmsys',git_head(D))
items=[]
rng=random.Random(SEED+1)
for l in git_show(D,'lmsys_1000.jsonl').decode().split('\n'):
    if not l.strip(): continue
    r=json.loads(l)
    msgs=[{'role':m['role'],'content':m['content']} for m in r['conversation']]
    cut=pick_cut(rng,msgs)
    if cut: items.append((r['conversation_id'],cut,{}))
write('lmsys-chat-1m-sample','LMSYS-Chat-1M Dataset License Agreement (restricted; check before redistribution)',items)

# ruozhiba
D='/work/.mirror/hzwer+LLM-Ruozhiba-QA/repo'
print('ruozhiba',git_head(D))
names=[n for n in subprocess.run(['git','--git-dir',D,'ls-tree','-r','--name-only','HEAD'],capture_output=True,text=True).stdout.splitlines() if n.startswith('questions/') and n.endswith('.json') and 'index' not in n]
items=[]
for n in sorted(names):
    try: r=json.loads(git_show(D,n))
    except Exception: continue
    q=r.get('question') if isinstance(r,dict) else None
    if q: items.append((r.get('id',n),[{'role':'user','content':q.strip()}],{}))
write('ruozhiba','MIT (repo); questions from Baidu Tieba ruozhiba forum',items,cap=400)

# chinese medical
D='/work/.mirror/Toyhom+Chinese-medical-dialogue-data/repo'
print('med',git_head(D))
raw=git_show(D,'样例_内科5000-6000.csv').decode('gb18030',errors='replace')
items=[]
for i,row in enumerate(csv.DictReader(io.StringIO(raw))):
    t=(row.get('title') or '').strip(); a=(row.get('ask') or '').strip()
    if not a or a=='无': continue
    q=a if (t and t.rstrip('？?') in a) else (t+'\n'+a if t else a)
    items.append((f'im-{i:05d}',[{'role':'user','content':q}],{}))
write('zh-medical-dialogue','MIT',items,cap=350)
