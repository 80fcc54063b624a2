import json, re, hashlib, os, random, subprocess, unicodedata
OUT = '/work/rdata/raw/prompts.jsonl'
SEED = 20251207
CAP = 1500

def git_show(repo_dir, path, commit='HEAD'):
    return subprocess.run(['git', '--git-dir', repo_dir, 'show', f'{commit}:{path}'], capture_output=True, check=True).stdout

def git_head(repo_dir):
    return subprocess.run(['git', '--git-dir', repo_dir, 'rev-parse', 'HEAD'], capture_output=True, text=True, check=True).stdout.strip()

STOP = {
 'en': 'the and is are you to of in that it for what how can with this be on my do your have i me'.split(),
 'es': 'el la los las que de y en es por para una un con cómo qué del se mi me puedes como pero más'.split(),
 'de': 'der die das und ist ich nicht ein eine zu mit den von für sie wie was auf ich du es mir dem des'.split(),
 'fr': 'le la les et est des une un de que pour dans je vous pas en du qui sur il ce comment quoi avec au'.split(),
 'pt': 'o a os as que de e em é um uma para com não do da por como você meu se mais ao isso'.split(),
 'it': 'il la che di e è un una per non con sono come del della mi lo gli ho cosa questo nel'.split(),
 'nl': 'de het een en is van dat niet ik je met voor op zijn wat hoe'.split(),
}
def detect_lang(t):
    s = t[:3000]
    hang = len(re.findall(r'[\uac00-\ud7a3]', s))
    kana = len(re.findall(r'[\u3040-\u30ff]', s))
    han = len(re.findall(r'[\u4e00-\u9fff]', s))
    cyr = len(re.findall(r'[\u0400-\u04ff]', s))
    lat = len(re.findall(r'[A-Za-zÀ-ÿ]', s))
    arab = len(re.findall(r'[\u0600-\u06ff]', s))
    thai = len(re.findall(r'[\u0e00-\u0e7f]', s))
    dev = len(re.findall(r'[\u0900-\u097f]', s))
    tot = max(1, hang + kana + han + cyr + lat + arab + thai + dev)
    if hang / tot > 0.15: return 'ko'
    if kana / tot > 0.05 and (kana + han) / tot > 0.2: return 'ja'
    if han / tot > 0.2: return 'zh'
    if cyr / tot > 0.3:
        if re.search(r'[іїєґ]', s.lower()): return 'uk'
        return 'ru'
    if arab / tot > 0.3: return 'ar'
    if thai / tot > 0.3: return 'th'
    if dev / tot > 0.3: return 'hi'
    if len(re.findall(r'[şğı]', s)) >= 2: return 'tr'
    words = re.findall(r"[a-zà-ÿ']+", s.lower())
    if not words: return 'und'
    scores = {}
    for l, sw in STOP.items():
        sws = set(sw)
        scores[l] = sum(1 for w in words if w in sws)
    en_sc = scores['en'] + 1.0 * sum(1 for w in words if w in EN_EXTRA)
    best = max((l for l in scores if l != 'en'), key=lambda l: scores[l])
    bs = scores[best]
    if bs > max(1, en_sc * 1.3):
        return best
    if en_sc == 0 and bs == 0:
        return 'en' if all(ord(c) < 128 for c in s) else 'und'
    return 'en'

EN_EXTRA = set('as act did develop design suggest a an write create make me please give about which who why when where there their would should could will was were an if or not from by as at so we they he she them his her our about into than then'.split())
UNSAFE = re.compile(r"\b(sex|sexy|sexual|porn\w*|nsfw|nude|naked|erotic\w*|fuck\w*|cock|pussy|dick|boobs?|tits|horny|rape|raping|incest|fetish|hentai|lewd|orgasm|masturbat\w*|cum|blowjob|genital\w*|nazi|kill myself|suicide)\b|色情|做爱|性交|裸体|エロ|セックス|секс|порн|섹스|야동", re.I)
def unsafe(text):
    return bool(UNSAFE.search(text))

def norm(t):
    return re.sub(r'\s+', ' ', t.strip().lower())

def trunc_asst(msgs):
    out = []
    for m in msgs:
        c = m['content']
        if m['role'] == 'assistant' and len(c) > 2000:
            c = c[:2000] + ' …'
        out.append({'role': m['role'], 'content': c})
    return out

def existing():
    seen, ids = set(), set()
    if os.path.exists(OUT):
        for l in open(OUT, encoding='utf-8'):
            r = json.loads(l)
            ids.add(r['id'])
            seen.add(norm(r['request']['messages'][-1]['content'] + '||' + str(len(r['request']['messages']))))
    return seen, ids

def valid(msgs):
    if not msgs or msgs[-1]['role'] != 'user': return False
    last = msgs[-1]['content']
    if not last or not last.strip() or len(last) > 20000 or len(last.strip()) < 2: return False
    if sum(len(m['content']) for m in msgs) > 60000: return False
    for m in msgs:
        if m['role'] in ('user', 'system') and unsafe(m['content']): return False
        if m['role'] == 'assistant' and unsafe(m['content'][:2000]): return False
    return True

def write(source, license, items, cap=CAP, strat_key=None):
    """items: list of (idx, msgs, extra). Dedups vs file, caps, stratifies by lang."""
    seen, ids = existing()
    rng = random.Random(f'{SEED}-{source}')
    cand = []
    local = set()
    for idx, msgs, extra in items:
        msgs = trunc_asst(msgs)
        if not valid(msgs): continue
        key = norm(msgs[-1]['content'] + '||' + str(len(msgs)))
        k1 = norm(msgs[-1]['content'])
        if key in seen or key in local or (len(msgs) == 1 and k1 in local): continue
        local.add(key); local.add(k1)
        lang = (extra or {}).get('lang') or detect_lang(msgs[-1]['content'])
        cand.append((idx, msgs, lang, extra or {}))
    rng.shuffle(cand)
    if len(cand) > cap:
        # stratify by lang (or strat_key): round-robin
        groups = {}
        for c in cand:
            g = c[3].get(strat_key) if strat_key else c[2]
            groups.setdefault(g, []).append(c)
        sel = []
        keys = sorted(groups)
        while len(sel) < cap:
            progressed = False
            for k in keys:
                if groups[k] and len(sel) < cap:
                    sel.append(groups[k].pop()); progressed = True
            if not progressed: break
        cand = sel
    n = 0
    from collections import Counter
    cnt = Counter()
    with open(OUT, 'a', encoding='utf-8') as f:
        for idx, msgs, lang, extra in sorted(cand, key=lambda c: str(c[0])):
            iid = f'{source}-{idx}'
            if iid in ids: continue
            rec = {'id': iid, 'source': source, 'lang': lang, 'license': license,
                   'request': {'model': 'auto', 'messages': msgs}}
            for k in ('note',):
                if k in extra: rec[k] = extra[k]
            f.write(json.dumps(rec, ensure_ascii=False) + '\n'); n += 1; cnt[lang] += 1
    print(source, 'wrote', n, dict(cnt.most_common()))
    return cnt

def pick_cut(rng, msgs):
    """cut a conversation at a random user turn (weighted to earlier), keep system + preceding turns."""
    uidx = [i for i, m in enumerate(msgs) if m['role'] == 'user']
    if not uidx: return None
    i = uidx[min(len(uidx) - 1, int(rng.random() ** 1.5 * len(uidx)))]
    return msgs[:i + 1]


SHAREGPT_ROLES = {'human': 'user', 'user': 'user', 'gpt': 'assistant', 'chatgpt': 'assistant',
                  'bing': 'assistant', 'assistant': 'assistant', 'system': 'system'}


def sharegpt_messages(r):
    """A ShareGPT conversation record as Chat Completions messages (HTML of rendered assistant
    answers stripped, leading assistant turns dropped)."""
    msgs = []
    for t in r.get('conversations', []):
        role = SHAREGPT_ROLES.get(t.get('from'))
        if not role:
            continue
        v = t.get('value') or ''
        v = re.sub(r'<[^>]+>', '', v) if role == 'assistant' and '<div' in v else v
        msgs.append({'role': role, 'content': v.strip()})
    while msgs and msgs[0]['role'] == 'assistant':
        msgs.pop(0)
    return msgs


def label_view(r):
    """One prompt as the labellers read it: a header, up to three earlier turns (200 chars each),
    and the last user turn (its first 700 and last 300 chars when over 1,100)."""
    msgs = r['request']['messages']
    last = msgs[-1]['content']
    out = [f"### {r['id']}  lang={r['lang']}  turns={len(msgs)}  last_turn_chars={len(last)}"]
    if len(msgs) > 1:
        for m in msgs[:-1][-3:]:
            out.append(f"[earlier {m['role']}] " + m['content'].replace('\r', ' ').replace('\n', ' ')[:200])
        out.append('[LAST USER TURN]')
    if len(last) <= 1100:
        out.append(last)
    else:
        out.append(last[:700] + f"\n…[{len(last)-1000} chars omitted]…\n" + last[-300:])
    return '\n'.join(out) + '\n'
