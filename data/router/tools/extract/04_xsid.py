import json, re, csv, io
from lib import *
# xSID
D='/work/.mirror/mainlp+xsid/repo'
print('xsid',git_head(D))
def detok(t,lg):
    if lg in ('ja','zh'):
        t=re.sub(r'(?<=[^\x00-\x7f]) (?=[^\x00-\x7f])','',t)
        t=re.sub(r'(?<=[^\x00-\x7f]) (?=[\x00-\x7f])|(?<=[\x00-\x7f]) (?=[^\x00-\x7f])','',t) if lg=='ja' else t
    t=re.sub(r" ([?.!,:;%)])",r"\1",t); t=re.sub(r"([(¿¡]) ",r"\1",t)
    t=re.sub(r" ' ",r"'",t); t=re.sub(r" n't","n't",t)
    return t.strip()
items=[]
for lg,cap in [('de',220),('it',220),('ja',220),('zh',150),('nl',60),('da',40),('tr',40)]:
    rows=[]
    for sp in ('test','valid'):
        txt=git_show(D,f'data/xSID-0.7/{lg}.{sp}.conll').decode()
        for blk in txt.split('\n\n'):
            m=re.search(r'^# text ?[:=] ?(.*)$',blk,re.M); mi=re.search(r'^# id ?[:=] ?(.*)$',blk,re.M); it=re.search(r'^# intent ?[:=] ?(.*)$',blk,re.M)
            if m: rows.append((f'{lg}-{sp}-{mi.group(1).strip() if mi else len(rows)}',detok(m.group(1),lg),it.group(1) if it else ''))
    rng=random.Random(f'{SEED}-xsid-{lg}'); rng.shuffle(rows)
    for rid,t,intent in rows[:cap]:
        items.append((rid,[{'role':'user','content':t}],{'lang':lg,'note':f'voice-assistant utterance, human translation of English SNIPS/Facebook query (intent {intent})'}))
write('xsid','CC-BY-SA-4.0',items,cap=1000)

