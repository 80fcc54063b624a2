import json, re, pickle, random, collections
from lib import detect_lang, UNSAFE, norm, label_view
import langdetect as ld
ld.DetectorFactory.seed = 0
SEED = 20251207; SRC = 'sharegpt92k-more'
LIC = 'unclear (ShareGPT user-shared ChatGPT logs; repo MIT)'
LANGS = ['ko','ja','zh','es','de','fr','pt','it','ru']
commit, convs = pickle.load(open('convs.pkl','rb'))
stats = collections.Counter()

existing = set()
for l in open('/work/rdata/raw/prompts.jsonl'):
    r = json.loads(l); existing.add(norm(r['request']['messages'][-1]['content']))

BOILER = re.compile(r'(지금 번역하기|Translate now|번역결과|번역 결과|Answer in English\.?|Please write in English language\.?)', re.I)
def strip_code(t):
    t = re.sub(r'```.*?(```|$)', ' ', t, flags=re.S)
    t = re.sub(r'`[^`\n]*`', ' ', t)
    return t
CODELINE = re.compile(r'^\s*([{}\[\]();<>#/*]|(def|class|import|from|return|if|for|while|const|let|var|function|public|private|SELECT|INSERT|print)\b)|[;{}]\s*$|=>|==|\)\s*:?\s*$')
def prose(t):
    """natural-language text outside code blocks and code-looking lines"""
    t = BOILER.sub(' ', strip_code(t))
    lines = [ln for ln in t.splitlines() if ln.strip() and not CODELINE.search(ln)]
    return '\n'.join(lines)
FRAG = re.compile(r"^(please )?(continue|cont|more|go on|keep going|go ahead|next|ok(ay)?|yes|no|thanks?( you)?|finish( it)?|and\??|again|proceed|carry on|keep writing|complete it|resume|same|great|good|nice|continue please|more please|rewrite|expand|继续|계속|계속해|続けて|続き|continúa|continua|weiter|suite|продолжи|продолжай)[\s.!?。！？…]*$", re.I)
CJK = re.compile(r'[\u3040-\u30ff\u4e00-\u9fff\uac00-\ud7a3]')
def is_fragment(last, pr):
    if FRAG.match(norm(last)) or FRAG.match(norm(pr)): return True
    if CJK.search(pr): return len(re.sub(r'\s', '', pr)) < 4
    return len(re.findall(r'[^\W\d_]+', pr)) < 3
def mostly_code(last, pr):
    L = len(last.strip()); P = len(pr.strip())
    if L == 0: return True
    return P / L < 0.25 and len(re.findall(r'[^\W\d_]+', pr)) < 40
def boilerplate(last, pr):
    # machine-generated: logs/JSON/HTML dumps with little prose; URL-only; very low letter share
    letters = len(re.findall(r'[^\W\d_]', pr))
    if len(pr) > 0 and letters / len(pr) < 0.5: return True
    if re.fullmatch(r'\s*https?://\S+\s*', last): return True
    return False
TECH_W = re.compile(r"\b(error|errors|bug|bugs|buggy|debug\w*|optimi[sz]\w*|design\w*|architect\w*|algorithm\w*|analy[sz]\w*|compar\w*|plan|plans|planned|planning|proof|proofs|prove|proving|calculat\w*|estimat\w*|implement\w*|refactor\w*|performance|complexity|equation\w*|formula\w*|solve|solving|derive|trade-?offs?|evaluat\w*|troubleshoot\w*|exception|crash\w*)\b", re.I)
TRACE = re.compile(r'Traceback \(most recent call last\)|^\s+at [\w.$<>]+\(.*:\d+\)|\b\w+(Error|Exception)\b|panicked at|Segmentation fault|undefined reference|stack trace', re.M)
def technical(last):
    return '```' in last or bool(TRACE.search(last)) or bool(TECH_W.search(last))

# benchmark n-gram index
def wgrams(t, n=8):
    w = re.findall(r'\w+', t.lower()); return {tuple(w[i:i+n]) for i in range(len(w)-n+1)}
def cgrams(t, n=12):
    s = re.sub(r'\s+', '', t.lower()); return {s[i:i+n] for i in range(len(s)-n+1)}
bench = []
for l in open('/work/rdata/eval_public/public.jsonl'):
    r = json.loads(l)
    for m in r['request']['messages']:
        if m['role'] == 'user': bench.append((r['id'], m['content']))
idx_w, idx_c = collections.defaultdict(set), collections.defaultdict(set)
bsize = {}
bnorm = set()
for bi, (bid, t) in enumerate(bench):
    gw, gc = wgrams(t), cgrams(t); bsize[bi] = (len(gw), len(gc)); bnorm.add(norm(t))
    for g in gw: idx_w[g].add(bi)
    for g in gc: idx_c[g].add(bi)
def near_bench(t):
    if norm(t) in bnorm: return 'exact'
    cjk = len(CJK.findall(t)) > 0.2 * max(1, len(re.sub(r'\s', '', t)))
    grams, idx, k = (cgrams(t), idx_c, 1) if cjk else (wgrams(t), idx_w, 0)
    if not grams: return None
    cnt = collections.Counter()
    for g in grams:
        for bi in idx.get(g, ()): cnt[bi] += 1
    for bi, c in cnt.items():
        if c >= 0.5 * len(grams): return 'item-half-in-bench:' + bench[bi][0]
        if bsize[bi][k] >= 4 and c >= 0.5 * bsize[bi][k]: return 'bench-half-in-item:' + bench[bi][0]
    return None

def trunc(msgs):
    out = []
    for m in msgs:
        c = m['content']
        if m['role'] == 'assistant' and len(c) > 1500: c = c[:1500] + ' …'
        out.append({'role': m['role'], 'content': c})
    return out

cands = []; seen_local = set(); drops = collections.Counter(); benchdrops = []
for cid, path, msgs in convs:
    uidx = [i for i, m in enumerate(msgs) if m['role'] == 'user']
    for k, i in enumerate(uidx):
        cut = trunc(msgs[:i+1]); last = cut[-1]['content']
        stats['turns'] += 1
        key = norm(last)
        if not last.strip(): drops['empty'] += 1; continue
        if key in existing: drops['in_prompts.jsonl'] += 1; continue
        if key in seen_local: drops['dup_new'] += 1; continue
        if len(last) > 15000: drops['>15000'] += 1; continue
        if sum(len(m['content']) for m in cut) > 60000: drops['conv>60000'] += 1; continue
        if any((m['role'] in ('user','system') and UNSAFE.search(m['content'])) or (m['role']=='assistant' and UNSAFE.search(m['content'][:1500])) for m in cut):
            drops['unsafe'] += 1; continue
        pr = prose(last)
        if is_fragment(last, pr): drops['fragment'] += 1; continue
        if mostly_code(last, pr): drops['mostly_code'] += 1; continue
        if boilerplate(last, pr): drops['boilerplate'] += 1; continue
        lang = detect_lang(pr)
        if lang in ('es','de','fr','pt','it'):
            try:
                if ld.detect(pr) == 'en': lang = 'en'
            except Exception: pass
        if lang not in LANGS + ['en']: drops['lang_other:' + lang] += 1; continue
        if lang == 'en' and not technical(last): drops['en_not_technical'] += 1; continue
        nb = near_bench(last)
        if nb: drops['near_benchmark'] += 1; benchdrops.append((cid, k+1, nb)); continue
        seen_local.add(key)
        cands.append({'cid': cid, 'path': path, 'turn': k+1, 'msgs': cut, 'lang': lang})
print('drops', dict(drops)); print('bench drops', benchdrops)
print('cands', collections.Counter(c['lang'] for c in cands))

rng = random.Random(f'{SEED}-{SRC}')
rng.shuffle(cands)
sel = []
for lang in LANGS + ['en']:
    cap = 800 if lang == 'en' else 200
    g = [c for c in cands if c['lang'] == lang]
    if len(g) > cap:
        # at most one item per conversation in the first pass, mixing first turns and later turns
        chosen, used = [], collections.Counter()
        for rnd in range(1, 100):
            for c in g:
                if len(chosen) >= cap: break
                if c in chosen or used[c['cid']] >= rnd: continue
                chosen.append(c); used[c['cid']] += 1
            if len(chosen) >= cap: break
        g = chosen
    sel += g
sel.sort(key=lambda c: (c['cid'], c['turn']))
recs = []
for c in sel:
    recs.append({'id': f"{SRC}-{c['cid']}-u{c['turn']}", 'source': SRC, 'lang': c['lang'], 'license': LIC,
                 'request': {'model': 'auto', 'messages': c['msgs']}})
assert len({r['id'] for r in recs}) == len(recs)
with open('/work/rdata/raw/prompts2.jsonl', 'w', encoding='utf-8') as f:
    for r in recs: f.write(json.dumps(r, ensure_ascii=False) + '\n')
cl = collections.Counter(r['lang'] for r in recs)
mt = collections.Counter(r['lang'] for r in recs if len(r['request']['messages']) > 1)
print('written', len(recs), dict(cl), 'multiturn', dict(mt))
# views: stratified thirds
order = list(recs); random.Random(f'{SEED}-{SRC}-views').shuffle(order)
chunks = [[], [], []]; pos = collections.Counter()
for r in sorted(order, key=lambda r: r['lang']):
    pass
bylang = collections.defaultdict(list)
for r in order: bylang[r['lang']].append(r)
j = 0
for lang in sorted(bylang):
    for r in bylang[lang]:
        chunks[j % 3].append(r); j += 1
for n, ch in zip((5, 6, 7), chunks):
    ch.sort(key=lambda r: r['id'])
    with open(f'/work/rdata/labels/chunk{n}.view.txt', 'w', encoding='utf-8') as f:
        f.write(''.join(label_view(r) + '\n' for r in ch))
    print(f'chunk{n}', len(ch), dict(collections.Counter(r['lang'] for r in ch)))
json.dump({'commit': commit, 'drops': dict(drops), 'bench': benchdrops, 'cands': dict(collections.Counter(c['lang'] for c in cands)),
           'written': dict(cl), 'multiturn': dict(mt), 'chunks': [len(c) for c in chunks],
           'chunk_langs': [dict(collections.Counter(r['lang'] for r in ch)) for ch in chunks]}, open('stats.json', 'w'), indent=1)
