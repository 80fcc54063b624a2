# Builds data/router/own_*.jsonl from the hand-written pieces in this folder (deterministic).
import json, random, sys, os
sys.path.insert(0, os.path.dirname(__file__))
import materials as M
import asks_en as EN
from asks_ko_ja import KO, JA
from asks_zh_es import ZH, ES
from asks_de_fr import DE, FR
import extras as X
import extras2 as X2
import extras3 as X3
import extras4 as X4
import extras5 as X5
import extras6 as X6

R = random.Random(20251128)
EN_D = dict(CHAT_SHORT=EN.CHAT_SHORT, REASON_SHORT=EN.REASON_SHORT, CHAT_MATERIAL=EN.CHAT_MATERIAL,
            REASON_MATERIAL=EN.REASON_MATERIAL, CODE_DEBUG=EN.CODE_DEBUG, CODE_CHAT=EN.CODE_CHAT,
            SYSTEMS=EN.SYSTEMS, FOLLOW_CHAT=EN.FOLLOW_CHAT, FOLLOW_REASON=EN.FOLLOW_REASON)
LANGS = {"en": EN_D, "ko": KO, "ja": JA, "zh": ZH, "es": ES, "de": DE, "fr": FR}

PROSE = {
    "en": [M.MEETING_EN, M.EMAIL_EN, M.ARTICLE_EN, M.CONTRACT_EN, M.ESSAY_EN],
    "ko": [M.MEETING_KO, M.EMAIL_KO, M.STORY_KO, M.LAB_KO],
    "ja": [M.MEETING_JA, M.EMAIL_JA, M.ARTICLE_JA, M.FIN_JA],
    "zh": [M.MEETING_ZH, M.EMAIL_ZH, M.ARTICLE_ZH, M.FIN_ZH],
    "es": [M.MEETING_ES, M.EMAIL_ES, M.ARTICLE_ES, M.LAB_ES],
    "de": [M.MEETING_DE, M.EMAIL_DE, M.ARTICLE_DE, M.CONTRACT_DE, M.ESSAY_DE],
    "fr": [M.MEETING_FR, M.EMAIL_FR, M.ARTICLE_FR, M.CONTRACT_FR, M.ESSAY_FR],
}
# material for each reasoning-material ask type
BYTYPE = {
    "en": {"meeting": [M.MEETING_EN], "contract": [M.CONTRACT_EN], "numbers": [M.FIN_EN, M.sales_csv(60)],
           "lab": [M.LAB_EN], "log": [M.server_log(120)], "plan": [M.MEETING_EN + "\n\n" + M.MEETING_ES],
           "grade": [M.RUBRIC_EN + "\n\n" + M.ESSAY_EN], "consistency": [M.FIN_EN], "report": [M.ARTICLE_EN + "\n\n" + M.MEETING_EN],
           "critique": [M.ESSAY_EN]},
    "ko": {"meeting": [M.MEETING_KO], "contract": [M.CONTRACT_EN], "numbers": [M.sales_csv(40), M.FIN_EN], "lab": [M.LAB_KO],
           "log": [M.server_log(80)], "plan": [M.MEETING_KO], "grade": [M.RUBRIC_EN + "\n\n" + M.STORY_KO]},
    "ja": {"meeting": [M.MEETING_JA], "contract": [M.CONTRACT_EN], "numbers": [M.FIN_JA], "log": [M.server_log(60)],
           "plan": [M.MEETING_JA], "grade": [M.RUBRIC_EN + "\n\n" + M.ARTICLE_JA], "lab": [M.LAB_EN]},
    "zh": {"meeting": [M.MEETING_ZH], "contract": [M.CONTRACT_EN], "numbers": [M.FIN_ZH], "log": [M.server_log(90)],
           "plan": [M.MEETING_ZH], "grade": [M.RUBRIC_EN + "\n\n" + M.ARTICLE_ZH], "lab": [M.LAB_EN]},
    "es": {"meeting": [M.MEETING_ES], "contract": [M.CONTRACT_EN], "numbers": [M.sales_csv(50)], "lab": [M.LAB_ES],
           "log": [M.server_log(70)], "plan": [M.MEETING_ES], "grade": [M.RUBRIC_EN + "\n\n" + M.ARTICLE_ES]},
    "de": {"meeting": [M.MEETING_DE], "contract": [M.CONTRACT_DE], "numbers": [M.FIN_EN], "lab": [M.LAB_EN],
           "log": [M.server_log(100)], "plan": [M.MEETING_DE], "grade": [M.RUBRIC_EN + "\n\n" + M.ESSAY_DE]},
    "fr": {"meeting": [M.MEETING_FR], "contract": [M.CONTRACT_FR], "numbers": [M.sales_csv(45)], "lab": [M.LAB_EN],
           "log": [M.server_log(110)], "plan": [M.MEETING_FR], "grade": [M.RUBRIC_EN + "\n\n" + M.ESSAY_FR]},
}
RTYPES = {
    "en": ["meeting", "contract", "numbers", "lab", "grade", "log", "plan", "consistency", "report", "critique"],
    "ko": ["meeting", "contract", "numbers", "lab", "log", "plan", "grade"],
    "ja": ["meeting", "contract", "numbers", "log", "plan", "grade", "lab"],
    "zh": ["meeting", "contract", "numbers", "log", "plan", "grade", "lab"],
    "es": ["meeting", "contract", "numbers", "lab", "log", "plan", "grade"],
    "de": ["meeting", "contract", "numbers", "lab", "log", "plan", "grade"],
    "fr": ["meeting", "contract", "numbers", "lab", "log", "plan", "grade"],
}
CODE_BUGS = [M.PY_BUG + "\n```\n\n```\n" + M.PY_TRACE, M.RUST_CODE + "\n```\n\n```\n" + M.RUST_ERR,
             M.JAVA_CODE + "\n```\n\n```\n" + M.JAVA_TRACE, M.JS_CODE]
CODE_SNIPS = [M.PY_BUG, M.SQL_CODE, M.JS_CODE, M.RUST_CODE, M.JAVA_CODE]

def combine(ask, mat, code=False):
    k = R.randrange(6)
    if code:
        return f"{ask}\n\n```\n{mat}\n```" if k % 2 == 0 else f"```\n{mat}\n```\n\n{ask}"
    if k == 0: return f"{ask}\n\n{mat}"
    if k == 1: return f"{mat}\n\n{ask}"
    if k == 2: return f"{ask}\n```\n{mat}\n```"
    if k == 3: return f"{ask}\n{mat}"
    if k == 4: return f'"""\n{mat}\n"""\n{ask}'
    return f"{ask}\n\n---\n{mat}\n---"

TOOLS_POOL = [
    {"type": "function", "function": {"name": "get_weather", "description": "Current weather for a city",
      "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}},
    {"type": "function", "function": {"name": "lookup_order", "description": "Find an order by id",
      "parameters": {"type": "object", "properties": {"order_id": {"type": "string"}}}}},
    {"type": "function", "function": {"name": "run_python", "description": "Execute Python code in a sandbox",
      "parameters": {"type": "object", "properties": {"code": {"type": "string"}}}}},
    {"type": "function", "function": {"name": "search_docs", "description": "Search internal documents",
      "parameters": {"type": "object", "properties": {"query": {"type": "string"}}}}},
]

def assistant_reply(label, lang):
    if label == "reasoning":
        return R.choice([M.ARTICLE_EN, M.MEETING_EN, M.PY_BUG, M.FIN_EN]) + "\n\nSo the answer follows from the steps above."
    return R.choice(["Sure! Here it is.", "Of course :)", "Done - let me know if you want changes.", "네, 알겠습니다!", "はい、どうぞ。", "好的,给你。", "¡Claro!", "Gern!", "Bien sûr !"])

def make(label, lang, text, sysp=None, history=None, tools=None, rf=None, effort=None):
    msgs = []
    if sysp: msgs.append({"role": "system", "content": sysp})
    if history: msgs.extend(history)
    if R.random() < 0.06:
        msgs.append({"role": "user", "content": [{"type": "text", "text": text}]})
    else:
        msgs.append({"role": "user", "content": text})
    req = {"model": "auto", "messages": msgs}
    if tools: req["tools"] = tools
    if rf: req["response_format"] = rf
    if effort: req["reasoning_effort"] = effort
    return {"label": label, "lang": lang, "request": req}

def decorate(label, lang, text, D):
    sysp = R.choice(D["SYSTEMS"] + EN.SYSTEMS) if R.random() < 0.3 else None
    tools = R.sample(TOOLS_POOL, R.randint(1, 2)) if R.random() < 0.12 else None
    rf = None
    if R.random() < 0.08:
        rf = R.choice([{"type": "json_object"}, {"type": "json_schema", "json_schema": {"name": "out", "schema": {"type": "object"}}}])
    effort = None
    if R.random() < 0.08:
        effort = R.choice(["high", "high", "medium", "low"] if label == "reasoning" else ["low", "low", "medium", "high"])
    return make(label, lang, text, sysp, None, tools, rf, effort)

def main(out_path):
    rows = []
    for lang, D in LANGS.items():
        for a in D["CHAT_SHORT"]:
            rows.append(decorate("chat", lang, a, D))
        for a in D["REASON_SHORT"]:
            rows.append(decorate("reasoning", lang, a, D))
        prose = PROSE[lang]
        for i, a in enumerate(D["CHAT_MATERIAL"]):
            for j in range(2):
                mat = prose[(i + j * 3) % len(prose)]
                if R.random() < 0.25:
                    mat = mat + "\n\n" + R.choice(prose) + "\n\n" + R.choice(PROSE["en"])
                rows.append(decorate("chat", lang, combine(a, mat), D))
        for a, mat in X2.CHAT[lang]:
            rows.append(decorate("chat", lang, combine(a, mat, code=mat in (X2.SNIPPET, X2.PY_TB)) if mat else a, D))
        for a, mat in X2.REASON[lang]:
            rows.append(decorate("reasoning", lang, combine(a, mat, code=mat == X2.CACHE_CODE) if mat else a, D))
        for a in X6.CHAT.get(lang, []):
            rows.append(decorate("chat", lang, a, D))
        for a in X6.REASON.get(lang, []):
            rows.append(decorate("reasoning", lang, a, D))
        for a in X5.CHAT[lang]:
            rows.append(decorate("chat", lang, a, D))
        for a in X5.REASON[lang]:
            rows.append(decorate("reasoning", lang, a, D))
        for a in X4.CHAT[lang]:
            rows.append(decorate("chat", lang, a, D))
        for a in X4.REASON[lang]:
            rows.append(decorate("reasoning", lang, a, D))
        for a in X.REASON[lang]:
            rows.append(decorate("reasoning", lang, a, D))
        for a in X.CHAT_TABLE[lang]:
            rows.append(decorate("chat", lang, combine(a, X.TABLE_EN), D))
        for a in X.REASON_TABLE[lang]:
            rows.append(decorate("reasoning", lang, combine(a, X.TABLE_EN), D))
        # chat asks over data-like material
        for a in D["CHAT_MATERIAL"][3:5]:
            mat = R.choice([M.contacts_list(R.randint(8, 60)), M.sales_csv(R.randint(10, 200)), M.LAB_EN])
            rows.append(decorate("chat", lang, combine(a, mat), D))
        for a, t in zip(D["REASON_MATERIAL"], RTYPES[lang]):
            for mat in BYTYPE[lang][t]:
                rows.append(decorate("reasoning", lang, combine(a, mat), D))
        for i, a in enumerate(D["CODE_DEBUG"]):
            for j in range(2 if lang != "en" else 3):
                rows.append(decorate("reasoning", lang, combine(a, CODE_BUGS[(i + j) % len(CODE_BUGS)], code=True), D))
        for i, a in enumerate(D["CODE_CHAT"]):
            rows.append(decorate("chat", lang, combine(a, CODE_SNIPS[(i * 2 + len(lang)) % len(CODE_SNIPS)], code=True), D))
        # multi-turn: last turn decides
        for a in D["FOLLOW_CHAT"]:
            prev = R.choice(D["REASON_SHORT"])
            hist = [{"role": "user", "content": prev}, {"role": "assistant", "content": assistant_reply("reasoning", lang)}]
            rows.append(make("chat", lang, a, R.choice([None, R.choice(D["SYSTEMS"])]), hist))
        for a in D["FOLLOW_REASON"]:
            prev = R.choice(D["CHAT_SHORT"])
            hist = [{"role": "user", "content": prev}, {"role": "assistant", "content": assistant_reply("chat", lang)}]
            rows.append(make("reasoning", lang, a, R.choice([None, R.choice(D["SYSTEMS"])]), hist))
        for _ in range(4):
            # hard question after a chatty opening; chit-chat after a hard exchange
            hist = [{"role": "user", "content": R.choice(D["CHAT_SHORT"])}, {"role": "assistant", "content": assistant_reply("chat", lang)}]
            rows.append(make("reasoning", lang, R.choice(D["REASON_SHORT"]), None, hist))
            hist = [{"role": "user", "content": R.choice(D["REASON_SHORT"])}, {"role": "assistant", "content": assistant_reply("reasoning", lang)},
                    {"role": "user", "content": R.choice(D["FOLLOW_REASON"])}, {"role": "assistant", "content": assistant_reply("reasoning", lang)}]
            rows.append(make("chat", lang, R.choice(D["CHAT_SHORT"] + D["FOLLOW_CHAT"]), None, hist))
    for code in X3.FUNCS:
        lang = "ko" if "최대" in code else ("ja" if "区間" in code else "en")
        rows.append(decorate("reasoning", lang, code, EN_D))
    for a in X3.CODE_LOOKUPS:
        rows.append(decorate("chat", "en", a, EN_D))
    for a in X3.HARD_TECH:
        rows.append(decorate("reasoning", "en", a, EN_D))
    seen = set()
    with open(out_path, "w") as f:
        n = 0
        for r in rows:
            key = json.dumps(r["request"], ensure_ascii=False, sort_keys=True)
            if key in seen: continue
            seen.add(key)
            n += 1
            r = {"id": f"own-{r['lang']}-{n:04d}", **r}
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    from collections import Counter
    print(n, Counter((r["lang"], r["label"]) for r in rows))

if __name__ == "__main__":
    main(sys.argv[1])
