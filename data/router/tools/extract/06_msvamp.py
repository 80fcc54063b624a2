import json
from lib import *
D='/work/.mirror/microsoft+MathOctopus/repo'
print(git_head(D))
L={'Chinese':'zh','French':'fr','German':'de','Japanese':'ja','Russian':'ru','Spanish':'es'}
items=[]
for name,lg in L.items():
    for i,l in enumerate(git_show(D,f'step1_supervised_finetuning/data/msvamp/test_{name}.json').decode().split('\n')):
        if not l.strip(): continue
        r=json.loads(l)
        q=r.get('m_query','').strip()
        if q: items.append((f'{lg}-{i:04d}',[{'role':'user','content':q}],{'lang':lg,'note':'machine-translated SVAMP math word problem (MSVAMP)'}))
write('msvamp','MIT (repo LICENSE); SVAMP MIT',items,cap=900)
