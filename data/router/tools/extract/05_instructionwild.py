import json, re
from lib import *
D='/work/.mirror/XueFuzhao+InstructionWild/repo'
print(git_head(D))
items=[]
for fn in ['data_v2/user_1.jsonl','data_v2/user_2.jsonl']:
    for i,l in enumerate(git_show(D,fn).decode().splitlines()):
        if not l.strip(): continue
        try: r=json.loads(l)
        except Exception:
            try: r=json.loads(re.sub(r'\\\\(?!["\\\\/bfnrtu])', r'\\\\\\\\', l))
            except Exception: continue
        items.append((f"{fn.split('/')[-1][:6]}-{i:04d}",[{'role':'user','content':r['instruction'].strip()}],{}))
write('instructionwild','non-commercial research only (InstructionWild LICENSE)',items)
items=[]
for i,l in enumerate(git_show(D,'data/seed_prompts_ch.jsonl').decode().splitlines()):
    if not l.strip(): continue
    r=json.loads(l)
    items.append((f"zh-{i:04d}",[{'role':'user','content':r['instruction'].strip()}],{'note':'Chinese translation of English user-shared seed prompt'}))
write('instructionwild-zh','non-commercial research only (InstructionWild LICENSE)',items)
