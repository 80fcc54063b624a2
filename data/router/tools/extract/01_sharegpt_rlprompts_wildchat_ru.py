import json, re, random, csv, io
from lib import *
# ShareGPT sample
D='/work/.mirror/Marugannwg+ShareGPT92k_user_linguistic_mining/repo'
print('sharegpt', git_head(D))
names=[n for n in subprocess.run(['git','--git-dir',D,'ls-tree','-r','--name-only','HEAD'],capture_output=True,text=True).stdout.splitlines() if n.startswith(('sampled_enriched_data/','openai_api_encode/sample_data/')) and n.endswith('.json')]
rng=random.Random(SEED)
items=[]
for n in sorted(names):
    try: r=json.loads(git_show(D,n))
    except Exception: continue
    msgs=sharegpt_messages(r)
    if not msgs: continue
    cut=pick_cut(rng,msgs)
    if cut: items.append((r.get('id',n.split('/')[-1][:-5]),cut,{}))
write('sharegpt92k-sample','unclear (ShareGPT user-shared ChatGPT logs; repo MIT)',items)

# karma-electric other parts
D='/work/.mirror/anicka-net+karma-electric-project/repo'
rows=[json.loads(l) for l in git_show(D,'data/rl-prompts/rl-prompts-v1.jsonl').decode().splitlines()]
for src,name,lic,cap,note in [('helpsteer2','helpsteer2-prompts','CC-BY-4.0 (HelpSteer2); compilation CC-BY-SA-4.0',1200,None),
                     ('ultrafeedback','ultrafeedback-prompts','MIT (UltraFeedback); compilation CC-BY-SA-4.0',900,'mixed: ShareGPT/FLAN/TruthfulQA real + Evol-Instruct/UltraChat generated'),
                     ('capybara','capybara-prompts','Apache-2.0 (Capybara); compilation CC-BY-SA-4.0',250,'LLM-generated seed questions (Capybara)')]:
    items=[]
    for r in rows:
        if r['source']!=src: continue
        p=r['prompt']
        msgs=[]
        if '<extra_id_1>' in p:
            parts=re.split(r'<extra_id_1>(User|Assistant)\n?',p)
            first=parts[0].strip()
            if first: msgs.append({'role':'user','content':first})
            for k in range(1,len(parts)-1,2):
                msgs.append({'role':'user' if parts[k]=='User' else 'assistant','content':parts[k+1].strip()})
            msgs=[m for m in msgs if m['content']]
        else:
            msgs=[{'role':'user','content':p.strip()}]
        items.append((r['hash'],msgs,{'note':note} if note else {}))
    write(name,lic,items,cap=cap)

# wildchat-hard-ru
D='/work/.mirror/kuk+wildchat-hard-ru/repo'
print('wchr',git_head(D))
rows=json.loads(git_show(D,'wildchat_hard_ru.json'))
items=[(r['id'],[{'role':'user','content':r['instruction'].strip()}],{}) for r in rows]
write('wildchat-hard-ru','ODC-BY (WildChat upstream); repo has no licence file',items,cap=1200)
