import json, subprocess, pickle
from lib import git_show, git_head, sharegpt_messages
D='/work/.mirror/Marugannwg+ShareGPT92k_user_linguistic_mining/repo'
commit = git_head(D)
names=[n for n in subprocess.run(['git','--git-dir',D,'ls-tree','-r','--name-only',commit],capture_output=True,text=True).stdout.splitlines() if n.startswith(('sampled_enriched_data/','openai_api_encode/sample_data/')) and n.endswith('.json')]
convs=[]
for n in sorted(names):
    try: r=json.loads(git_show(D,n,commit))
    except Exception as e: print('bad',n,e); continue
    msgs=sharegpt_messages(r)
    if msgs: convs.append((r.get('id',n.split('/')[-1][:-5]), n, msgs))
pickle.dump((commit,convs),open('convs.pkl','wb'))
print(commit,len(convs), sum(sum(m['role']=='user' for m in c[2]) for c in convs))
