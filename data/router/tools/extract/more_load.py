import sys, json, re, subprocess, pickle
sys.path.insert(0, '/work/rdata/tmp')
from lib import git_show, git_head
D='/work/.mirror/Marugannwg+ShareGPT92k_user_linguistic_mining/repo'
commit = git_head(D)
names=[n for n in subprocess.run(['git','--git-dir',D,'ls-tree','-r','--name-only',commit],capture_output=True,text=True).stdout.splitlines() if n.startswith(('sampled_enriched_data/','openai_api_encode/sample_data/')) and n.endswith('.json')]
convs=[]
for n in sorted(names):
    try: r=json.loads(git_show(D,n,commit))
    except Exception as e: print('bad',n,e); continue
    msgs=[]
    for t in r.get('conversations',[]):
        role={'human':'user','user':'user','gpt':'assistant','chatgpt':'assistant','bing':'assistant','assistant':'assistant','system':'system'}.get(t.get('from'))
        if not role: continue
        v=t.get('value') or ''
        v=re.sub(r'<[^>]+>','',v) if role=='assistant' and '<div' in v else v
        msgs.append({'role':role,'content':v.strip()})
    while msgs and msgs[0]['role']=='assistant': msgs.pop(0)
    if msgs: convs.append((r.get('id',n.split('/')[-1][:-5]), n, msgs))
pickle.dump((commit,convs),open('convs.pkl','wb'))
print(commit,len(convs), sum(sum(m['role']=='user' for m in c[2]) for c in convs))
