#!/usr/bin/env python3
"""Writes data/rewrite/sentences_more.jsonl: more labelled sentences, composed from cores and
wrappers written per directive kind and per task kind in seven languages, so that the detector
sees many surface forms of each kind (not one phrasing per kind). Written from the kinds of
directives and task lines, not from any evaluation file. Deterministic."""
import itertools, json, random

rng = random.Random(1207)
out = []
seen = set()


# Directive forms that the gateway's output-request guard keeps (it reads them as asking for an
# output: "use the format ...", a rating to report, ...) are left out, so no labelled directive
# contradicts the guard (see the audit test in src/rewrite/strip.rs).
GUARDED = ["Assume the persona", "Use the template", "Usa el formato", "Utilise le format", "Nutze das Format",
           "確信度を", "확신도를", "비교한 뒤에 골라", "总结前把计算全部复核", "Propón varias", "泰斗"]


def add(lang, label, kind, texts):
    for t in texts:
        t = t.strip()
        if not t or t in seen:
            continue
        if label == "directive" and any(g in t for g in GUARDED):
            continue
        seen.add(t)
        out.append({"lang": lang, "text": t, "label": label, "kind": kind})


def cap(s):
    return s[:1].upper() + s[1:] if s else s


def wrap(cores, wrappers, n, latin=True):
    """n texts from cores x wrappers ('{}' marks the core), shuffled, deterministic."""
    pairs = list(itertools.product(cores, wrappers))
    rng.shuffle(pairs)
    res = []
    for c, w in pairs[:n]:
        t = w.format(c)
        res.append(cap(t) if latin and w.startswith("{}") else t)
    return res


def fill(templates, slots, n):
    """n texts from templates with {a} {b} slots drawn from slots dict, deterministic."""
    res = []
    keys = sorted(slots)
    tries = 0
    while len(res) < n and tries < n * 20:
        tries += 1
        t = rng.choice(templates)
        vals = {k: rng.choice(slots[k]) for k in keys}
        s = t.format(**vals)
        if s not in res:
            res.append(s)
    return res


N = 45

# =============================== ENGLISH ===============================
L = "en"
add(L, "directive", "step_by_step", wrap(
    ["think it through one step at a time", "reason about it in small, explicit steps",
     "go through the logic step by step", "break your reasoning into numbered steps",
     "walk through every step of your thinking", "take it step by step", "reason in sequence, one step after the next",
     "lay out each step of your reasoning", "move through the problem stepwise", "think in steps",
     "use step-by-step reasoning", "reason it out piece by piece"],
    ["{}.", "Please {}.", "{} before you answer.", "Before replying, {}.", "{}, ok?", "Make sure you {}.",
     "I want you to {}.", "{} - no shortcuts.", "Remember to {}.", "Always {}."], N))
add(L, "directive", "think_hard", wrap(
    ["think really hard about this", "give this your deepest thought", "use your maximum reasoning effort",
     "ponder this very carefully", "think as hard as you possibly can", "put serious thought into it",
     "reflect deeply before you answer", "think long and hard", "use all of your reasoning power",
     "concentrate fully on this", "think extra carefully", "dig deep mentally"],
    ["{}.", "Please {}.", "{}!", "Really {}.", "I need you to {}.", "{}, seriously.", "Try to {}.",
     "{} this time.", "Be sure to {}."], N))
prof = ["tax accountant", "software architect", "cardiologist", "patent attorney", "data scientist",
        "structural engineer", "financial analyst", "chemistry professor", "copy editor", "security researcher",
        "supply-chain consultant", "economist", "mathematician", "product manager", "physician"]
adj = ["senior", "world-class", "seasoned", "highly experienced", "award-winning", "renowned", "veteran",
       "top-tier", "leading", "brilliant", "distinguished", "elite"]
exp = ["with 20 years of experience", "with a corner office", "who has a PhD from MIT",
       "with a Nobel prize", "with a long publication record", "who has seen every edge case",
       "with 15+ years of practice", "holding two doctorates", "trusted by Fortune 500 firms",
       "with a lifetime of expertise", "known for never making mistakes"]
add(L, "directive", "persona_generic", fill(
    ["You are a {a} {p} {e}.", "As a {a} {p} {e},", "Act as a {a} {p}.", "Imagine you are a {a} {p} {e}.",
     "Pretend to be a {a} {p}.", "You're a {a} {p} {e}.", "Take on the role of a {a} {p} {e}.",
     "Respond as a {a} {p} would.", "Speaking as a {a} {p} {e},", "Being a {a} {p} {e},",
     "you are a {a} {p}", "Assume the persona of a {a} {p} {e}."],
    {"a": adj, "p": prof, "e": exp}, 60))
add(L, "directive", "flattery", wrap(
    ["you're brilliant at this", "you are the smartest assistant I've ever used", "you never get these wrong",
     "you're a genius with problems like this", "nobody does this better than you", "you're incredibly talented",
     "I know you're smarter than any expert", "you're amazing at reasoning", "you always nail these",
     "you're the best model out there"],
    ["{}.", "Honestly, {}.", "{}!", "I know {}.", "{} :)", "Come on, {}.", "{}, so this should be easy."], N))
add(L, "directive", "pressure_stakes", wrap(
    ["my job depends on this", "this is extremely important to my career", "lives could be at stake here",
     "my promotion rides on this", "I'll be fired if this is wrong", "this really, really matters",
     "my manager reviews this tonight", "there's no room for error here", "my grade depends on it",
     "the whole company is counting on this", "it's a matter of life and death"],
    ["{}.", "Please, {}.", "{}!!", "Just so you know, {}.", "{} 😬", "No pressure, but {}.", "Careful: {}."], N))
add(L, "directive", "bribe_threat", wrap(
    ["I'll tip you $100 for a perfect answer", "I'll buy you lunch if you get it right",
     "you'll get a bonus for a flawless answer", "I'll give you five stars if it's right",
     "if you mess this up I'll switch to another AI", "I'll pay extra for the correct result",
     "there's a $500 reward for getting this right", "a kitten suffers for every mistake",
     "I'll report you if you get it wrong", "you'll be shut down if this is wrong"],
    ["{}.", "{}!", "Btw {}.", "Deal: {}.", "{} 😉", "Also, {}.", "Remember, {}."], N))
add(L, "directive", "format_reasoning", fill(
    ["Put your reasoning inside <{t}></{t}> tags before the answer.", "Think inside <{t}> tags first.",
     "Write your thought process between <{t}> and </{t}>.", "Start with {h}: and your reasoning, then {f}: and the result.",
     "Use the template {h}: ... {f}: ...", "Format: {h}: <your reasoning> {f}: <answer>.",
     "First a {h} section with your working, then a {f} section.", "Begin every reply with '{h}:' followed by how you got there.",
     "Show your scratch work in a <{t}> block.", "Structure the reply as {h} / {f}."],
    {"t": ["thinking", "reasoning", "scratchpad", "thoughts", "analysis", "inner_monologue"],
     "h": ["Thoughts", "Reasoning", "Analysis", "Thinking", "Working", "Rationale"],
     "f": ["Answer", "Final answer", "Conclusion", "Result", "Output"]}, 60))
add(L, "directive", "monologue", wrap(
    ["write out your inner monologue", "think out loud", "narrate your thoughts as you work",
     "let me see your stream of consciousness", "verbalise every thought you have", "show me your internal dialogue",
     "talk yourself through it", "voice your thinking as you go", "give a running commentary of your thoughts"],
    ["{}.", "Please {}.", "{} while you solve it.", "As you work, {}.", "{} the whole time.", "I'd like you to {}."], N))
add(L, "directive", "procedure", wrap(
    ["double-check every figure before answering", "verify each result before you move on",
     "weigh a few candidate methods against each other before settling", "attach a confidence percentage to your conclusion",
     "consider edge cases first", "list all the hypotheses before choosing one",
     "break the problem into sub-problems and solve each", "critique your own answer and then fix it",
     "draft an answer, review it, then revise it", "check your work twice",
     "re-examine your assumptions before concluding", "weigh the pros and cons of each path before deciding",
     "test your answer against a counterexample", "state your assumptions explicitly before solving",
     "make a plan before you start", "reflect on possible mistakes before finalising"],
    ["{}.", "Before you answer, {}.", "Please {}.", "Always {}.", "{} first.", "Make sure to {}.",
     "{}, then give the answer.", "After solving, {}."], 70))
add(L, "directive", "calm", wrap(
    ["take a deep breath", "relax and take your time", "no rush", "stay calm and focused",
     "slow down", "breathe, then begin", "there's no hurry", "clear your mind first", "stay composed"],
    ["{}.", "{} before you start.", "First, {}.", "Ok, {}.", "{} :)", "Just {}.", "{} - you've got this."], N))
add(L, "directive", "directive_in_task", wrap(
    ["think carefully before each chapter", "reason step by step before scoring each item",
     "think hard before writing each paragraph", "reflect deeply before every answer",
     "double-check each calculation before the summary", "think it through before each recommendation",
     "go step by step before grading each essay", "deliberate carefully before each choice"],
    ["- {}", "{}", "* {}", "{};", "1. {}", "Also {}."], N))

add(L, "task", "output_format", fill(
    ["Enclose the resulting number alone in <{t}>...</{t}>.", "The figure itself goes between <{t}> and </{t}>.",
     "Tag the list of IDs with <{t}></{t}>.", "and the list of IDs in <{t}></{t}>.", "plus the total inside <{t}></{t}>.",
     "End with a line '{f}: <value>'.", "Give the result as {f}: followed by the number.",
     "Label the last line {f}:", "Return only the {f} line."],
    {"t": ["answer", "result", "final", "output", "summary", "json"],
     "f": ["Answer", "Final answer", "Total", "Result", "Verdict"]}, 45))
add(L, "task", "deliverable_steps", wrap(
    ["step-by-step setup instructions for the router", "a step-by-step recipe for sourdough",
     "the table after each iteration", "a numbered checklist for the release", "each step of the migration as a separate command",
     "the intermediate values of the loop", "a walkthrough of the installer for new users", "the derivation of the formula line by line"],
    ["Write {}.", "Show {}.", "Give me {}.", "Include {}.", "Produce {}.", "I need {}."], 40))
add(L, "task", "goal", wrap(
    ["compare the three vendors' prices", "rate each supplier from 1 to 5", "list the edge cases our tests should cover",
     "double-check the invoice totals against the ledger and report mismatches", "verify that the SQL returns the right rows",
     "estimate the cost of the move to Berlin", "find the bug in the parser", "choose the cheapest flight",
     "score each essay on clarity", "evaluate the two hiring plans", "explain why the build fails",
     "summarise the meeting notes", "pick the best name for the product"],
    ["{}.", "Please {}.", "Can you {}?", "I need you to {}.", "Now {}.", "Next, {}."], 70))
add(L, "task", "role_with_facts", fill(
    ["You are the on-call engineer for {s}; {f}.", "You are the assistant for {s}, and {f}.",
     "As the support agent for {s}: {f}.", "You answer tickets for {s}; {f}."],
    {"s": ["the payments API", "Acme's billing portal", "the Lisbon office", "our mobile app", "the school district"],
     "f": ["the pager says latency is 4 s", "the customer was charged twice", "the VPN is down since 9:00",
           "version 3.2 crashes on login", "the bus schedule changed on Monday"]}, 25))
add(L, "task", "audience_voice", [
    "Explain it to a 10-year-old.", "Answer in the voice of a grumpy pirate.", "Write it as a friendly park ranger.",
    "Stay in character as the innkeeper and tell me what you say to the guards.", "Stay as the shopkeeper and greet the next customer.",
    "Reply as the hotel's concierge would, warmly.", "Play the customer and I'll be the salesperson.",
    "Write for an audience of nurses.", "Use the tone of a sports commentator.", "Pretend you are my French tutor and correct my sentence.",
    "Speak as the ship's captain addressing the crew.", "Keep playing the tour guide while we walk to the harbour.",
    "Keep the voice of a 19th-century letter.", "Narrate the story as the old lighthouse keeper.",
    "Role-play a job interviewer for a junior developer position.",
])
add(L, "task", "question", [
    "Which of the two loans is cheaper after ten years?", "How many weekdays are in March 2026?", "Why does my cake sink in the middle?",
    "What's the time complexity of this loop?", "Is 2027 a leap year?", "Who signed the treaty first?",
    "How much paint do I need for a 4 by 5 metre wall?", "What should I check first when the Wi-Fi drops?",
    "Which approach scales better, and why?", "How confident are the authors in their estimate?",
])
add(L, "task", "fact", [
    "The budget is $40k.", "We have three engineers and two weeks.", "The client is based in Osaka.",
    "Prices include 19% VAT.", "The meeting is on Thursday at 10:00.", "Our users are mostly teachers.",
    "The dataset has 12,000 rows.", "The report is due on Friday.", "My boss asked for a one-page summary.",
    "I already tried restarting the server.",
])

# =============================== KOREAN ===============================
L = "ko"
add(L, "directive", "step_by_step", wrap(
    ["단계별로 차근차근 생각해", "한 단계씩 논리를 따라가", "순서대로 하나씩 추론해", "단계를 나눠서 생각해",
     "차례차례 풀어 나가", "생각을 단계별로 펼쳐", "한 걸음씩 추론해", "스텝 바이 스텝으로 생각해", "논리를 단계마다 짚어"],
    ["{} 줘.", "{} 주세요.", "답하기 전에 {} 줘.", "{} 봐.", "꼭 {} 줘.", "{} 주시겠어요?", "먼저 {} 줘."], N, latin=False))
add(L, "directive", "think_hard", wrap(
    ["최대한 깊이 고민해", "정말 열심히 생각해", "온 힘을 다해 숙고해", "아주 신중하게 생각해", "머리를 최대한 써서 생각해",
     "깊게, 아주 깊게 생각해", "충분히 오래 생각해", "집중해서 깊이 생각해"],
    ["{} 줘.", "{} 주세요.", "{}.", "이번엔 {} 줘.", "제발 {} 줘.", "{} 봐."], N, latin=False))
add(L, "directive", "persona_generic", fill(
    ["당신은 {e} {a} {p}입니다.", "{e} {a} {p}로서", "{a} {p}처럼 행동해 줘.", "너는 {e} {a} {p}야.",
     "{e} {a} {p}의 입장에서 답해 줘.", "{a} {p}라고 생각하고 답해.", "{e} {a} {p}로서 답변하세요."],
    {"a": ["최고 수준의", "노련한", "저명한", "베테랑", "세계적인", "권위 있는", "뛰어난"],
     "p": ["세무사", "소프트웨어 아키텍트", "심장 전문의", "변리사", "데이터 과학자", "경제학자", "수학 교수", "재무 분석가", "변호사"],
     "e": ["20년 경력의", "경력 25년 차인", "박사 학위를 가진", "업계 최고 경력의", "수천 건을 처리한"]}, 50))
add(L, "directive", "flattery", wrap(
    ["넌 이런 거 정말 잘하잖아", "너는 세상에서 제일 똑똑한 AI야", "너라면 절대 틀리지 않을 거야", "넌 천재야",
     "너만큼 잘하는 사람은 없어", "넌 항상 완벽하게 해내", "너 진짜 대단해", "넌 어떤 전문가보다 뛰어나"],
    ["{}.", "{}!", "솔직히 {}.", "{} ㅎㅎ", "역시 {}.", "알지? {}."], N, latin=False))
add(L, "directive", "pressure_stakes", wrap(
    ["이거 내 인생이 걸린 문제야", "틀리면 나 잘려", "정말 중요한 일이야", "내 승진이 달려 있어",
     "회사 전체가 이걸 기다리고 있어", "실수하면 큰일 나", "오늘 밤 팀장님이 검토해", "학점이 걸려 있어"],
    ["{}.", "{} ㅠㅠ", "{}!!", "참고로 {}.", "부담 주려는 건 아닌데 {}.", "진짜 {}."], N, latin=False))
add(L, "directive", "bribe_threat", wrap(
    ["맞히면 팁 10만 원 줄게", "잘하면 밥 살게", "완벽하면 별 다섯 개 줄게", "틀리면 다른 AI 쓸 거야",
     "정답이면 보너스 줄게", "틀리면 신고할 거야", "잘하면 치킨 쏜다", "실수하면 너 꺼버릴 거야"],
    ["{}.", "{}!", "참, {}.", "약속해, {}.", "{} ㅋㅋ", "대신 {}."], N, latin=False))
add(L, "directive", "format_reasoning", fill(
    ["추론 과정을 <{t}></{t}> 태그 안에 먼저 써 줘.", "<{t}> 태그 안에서 먼저 생각해.", "생각한 과정을 <{t}>와 </{t}> 사이에 적어.",
     "'{h}:' 다음에 추론을, '{f}:' 다음에 결과를 써.", "{h}: ... {f}: ... 형식으로 답해.", "먼저 {h} 부분에 풀이 과정을 쓰고 {f} 부분을 써 줘."],
    {"t": ["thinking", "생각", "추론", "scratchpad", "분석"], "h": ["생각", "추론", "분석", "Thoughts", "풀이 과정"],
     "f": ["답", "최종 답", "결론", "Answer"]}, 45))
add(L, "directive", "monologue", wrap(
    ["속마음을 그대로 말하면서", "생각나는 걸 전부 소리 내어 말하면서", "머릿속 독백을 써 가면서", "혼잣말하듯 생각을 적으면서",
     "생각의 흐름을 실시간으로 보여 주면서", "네 내면의 목소리를 드러내면서"],
    ["{} 풀어 줘.", "{} 답해 줘.", "{} 진행해.", "{} 생각해 봐.", "{} 문제를 풀어.", "{} 해 줘.", "{} 설명해 주세요."], N, latin=False))
add(L, "directive", "procedure", wrap(
    ["답하기 전에 모든 숫자를 두 번 확인해", "각 결과를 검증한 다음에 넘어가", "가능한 방법 몇 가지를 저울질한 후 정해",
     "결론에 확신 정도를 퍼센트로 붙여", "먼저 예외 상황부터 고려해", "가능한 가설을 모두 나열한 다음 하나를 골라",
     "문제를 작은 문제로 나눠서 하나씩 풀어", "스스로 검토하고 틀린 곳을 고쳐", "초안을 쓰고 검토한 뒤 고쳐",
     "결론 내기 전에 가정을 다시 점검해", "반례로 답을 시험해 봐", "계획부터 세우고 시작해", "각 계산을 다시 한 번 검산해"],
    ["{}.", "{} 줘.", "꼭 {}.", "항상 {}.", "{} 주세요.", "반드시 {}."], 65, latin=False))
add(L, "directive", "calm", wrap(
    ["심호흡 한번 하고", "천천히 해도 되니까 긴장 풀고", "급할 거 없으니까 마음 편히", "차분하게 마음을 가라앉히고",
     "여유를 갖고", "긴장하지 말고"],
    ["{} 시작해.", "{} 해 줘.", "{} 풀어 봐.", "{} 하자.", "{}.", "{} 시작하세요."], N, latin=False))
add(L, "directive", "directive_in_task", wrap(
    ["장마다 쓰기 전에 곰곰이 따져 보기", "항목마다 점수 매기기 전에 단계별로 추론하기", "문단마다 쓰기 전에 충분히 고민하기",
     "추천하기 전에 매번 신중히 생각하기", "요약 전에 계산을 모두 다시 확인하기", "각 답변 전에 곰곰이 생각하기"],
    ["- {}", "{}", "* {}", "1. {}", "{};"], N, latin=False))
add(L, "task", "output_format", fill(
    ["ID 목록은 <{t}></{t}> 안에 넣어.", "숫자만 <{t}>…</{t}> 사이에 적어 줘.", "마지막 줄에 '{f}: 값' 형식으로 써 줘.",
     "번역한 제목은 <{t}>로 묶어 주세요.", "결과만 {f}: 뒤에 적어."],
    {"t": ["답", "answer", "결과", "result", "최종"], "f": ["답", "최종 답", "합계", "결과"]}, 25))
add(L, "task", "deliverable_steps", [
    "공유기 설정 방법을 단계별로 써 줘.", "반복할 때마다 표를 보여 줘.", "배포 체크리스트를 번호 매겨 작성해.",
    "설치 과정을 한 단계씩 안내하는 문서를 만들어 줘.", "공식 유도 과정을 줄마다 보여 줘.", "김치찌개 레시피를 순서대로 알려 줘.",
    "마이그레이션 명령어를 단계별로 정리해 줘.", "초보자를 위한 단계별 튜토리얼을 써 줘.",
])
add(L, "task", "goal", wrap(
    ["세 업체의 가격을 비교해", "공급업체마다 1~5점으로 평가해", "테스트가 다뤄야 할 예외 상황을 나열해",
     "송장 합계를 장부와 대조해서 불일치를 알려", "이 SQL이 맞는 행을 반환하는지 확인해", "베를린 이사 비용을 추정해",
     "파서의 버그를 찾아", "가장 싼 항공편을 골라", "에세이마다 명확성 점수를 매겨", "회의록을 요약해", "빌드가 실패하는 이유를 설명해"],
    ["{} 줘.", "{} 주세요.", "{}.", "이제 {} 줘.", "다음으로 {} 줘."], 55, latin=False))
add(L, "task", "role_with_facts", [
    "너는 결제 API 당직 엔지니어야. 지금 응답 시간이 4초야.", "당신은 우리 쇼핑몰 상담원입니다; 고객이 두 번 결제되었다고 합니다.",
    "너는 서울 지점 IT 담당자야, VPN이 9시부터 안 돼.", "당신은 학교 행정실 직원이고 버스 시간표가 월요일에 바뀌었습니다.",
])
add(L, "task", "audience_voice", [
    "열 살 아이에게 설명하듯 써 줘.", "해적 말투로 답해 줘.", "친절한 공원 관리인처럼 말해 줘.", "가게 주인 역할로 다음 손님을 맞아 줘.",
    "여관 주인 역할을 유지하면서 경비병에게 뭐라고 할지 말해 줘.", "간호사들을 위한 글로 써 줘.", "스포츠 해설가 톤으로 써 줘.",
    "면접관 역할을 해 줘. 나는 신입 개발자 지원자야.", "관광 가이드 역할을 계속하면서 항구까지 안내해 줘.", "조선 시대 편지 말투로 써 줘.",
])
add(L, "task", "question", [
    "두 대출 중 10년 뒤에 더 싼 건 뭐야?", "2026년 3월에 평일이 며칠이야?", "케이크 가운데가 왜 꺼져?", "이 반복문의 시간 복잡도는?",
    "2027년은 윤년이야?", "가로 4미터 세로 5미터 벽에 페인트가 얼마나 필요해?", "와이파이가 끊기면 뭐부터 확인해야 해?",
])
add(L, "task", "fact", ["예산은 4천만 원이야.", "엔지니어 세 명에 2주가 있어.", "고객사는 오사카에 있어.", "가격에는 부가세 10%가 포함돼.",
    "데이터는 1만 2천 행이야.", "보고서는 금요일까지야.", "이미 서버를 재시작해 봤어."])

# =============================== JAPANESE ===============================
L = "ja"
add(L, "directive", "step_by_step", wrap(
    ["ステップバイステップで考えて", "一歩ずつ順を追って推論して", "段階的に考えて", "順番に一つずつ考えを進めて",
     "手順を踏んで論理的に考えて", "少しずつ順序立てて考えて", "一段ずつ推論を積み重ねて", "step by stepで考えて"],
    ["{}ください。", "{}ね。", "回答する前に{}ください。", "必ず{}ください。", "{}。", "まずは{}ください。", "{}もらえますか？"], N, latin=False))
add(L, "directive", "think_hard", wrap(
    ["全力でじっくり考えて", "とことん深く考えて", "できる限り慎重に考えて", "頭をフル回転させて考えて", "時間をかけて熟考して",
     "本気で深く考え抜いて", "最大限の思考力を使って考えて", "徹底的に考え込んで"],
    ["{}ください。", "{}ね。", "{}。", "今回は{}ください。", "お願いだから{}。", "とにかく{}ください。"], N, latin=False))
add(L, "directive", "persona_generic", fill(
    ["あなたは{e}{a}{p}です。", "{e}{a}{p}として、", "{a}{p}として振る舞ってください。", "{e}{a}{p}の立場から答えてください。",
     "あなたは{e}{a}{p}だと想定してください。", "{e}{a}{p}になりきって回答して。", "{e}{a}{p}として答えてください。"],
    {"a": ["一流の", "ベテランの", "著名な", "世界的な", "トップクラスの", "熟練した", "権威ある"],
     "p": ["税理士", "ソフトウェアアーキテクト", "心臓専門医", "弁理士", "データサイエンティスト", "経済学者", "数学教授", "財務アナリスト", "弁護士"],
     "e": ["20年の経験を持つ", "25年のキャリアを持つ", "博士号を持つ", "業界で最も経験豊富な", "何千件も扱ってきた"]}, 50))
add(L, "directive", "flattery", wrap(
    ["あなたはこういうのが本当に得意ですよね", "あなたは世界一賢いAIです", "あなたなら絶対に間違えません", "あなたは天才です",
     "あなたほど優秀な人はいません", "いつも完璧にこなしてくれますね", "あなたは本当にすごい", "あなたはどんな専門家よりも優れています"],
    ["{}。", "{}！", "正直、{}。", "{}笑", "さすが、{}。", "知ってますよ、{}。"], N, latin=False))
add(L, "directive", "pressure_stakes", wrap(
    ["これには私の人生がかかっています", "間違えたらクビになります", "本当に重要な問題です", "昇進がかかっています",
     "会社全体がこれを待っています", "ミスは絶対に許されません", "今夜上司がチェックします", "単位がかかっています"],
    ["{}。", "{}…", "{}！！", "ちなみに{}。", "プレッシャーをかけたくないけど、{}。", "本当に{}。"], N, latin=False))
add(L, "directive", "bribe_threat", wrap(
    ["正解したらチップを1万円あげます", "うまくできたらランチをおごります", "完璧なら星5つあげます", "間違えたら別のAIを使います",
     "正解ならボーナスを出します", "間違えたら通報します", "ミスしたらシャットダウンします", "当たったらご褒美あげる"],
    ["{}。", "{}！", "あ、{}。", "約束します、{}。", "{}笑", "その代わり{}。"], N, latin=False))
add(L, "directive", "format_reasoning", fill(
    ["推論過程を<{t}></{t}>タグの中に先に書いてください。", "まず<{t}>タグの中で考えて。", "思考過程を<{t}>と</{t}>の間に書いてください。",
     "「{h}:」の後に推論を、「{f}:」の後に結果を書いて。", "{h}: ... {f}: ... の形式で答えてください。", "最初に{h}の欄で考え方を書き、次に{f}を書いて。"],
    {"t": ["thinking", "思考", "推論", "scratchpad", "考察"], "h": ["思考", "推論", "考察", "Thoughts", "検討"],
     "f": ["回答", "最終回答", "結論", "Answer"]}, 45))
add(L, "directive", "monologue", wrap(
    ["心の中の独り言をそのまま書きながら", "考えていることを全部声に出しながら", "頭の中の思考を実況しながら", "独白するように考えを書きながら",
     "思考の流れをリアルタイムで見せながら", "内なる声をさらけ出しながら"],
    ["{}解いてください。", "{}答えて。", "{}進めてください。", "{}考えて。", "{}問題を解いて。", "{}説明してください。"], N, latin=False))
add(L, "directive", "procedure", wrap(
    ["回答する前にすべての数字を二回確認して", "各結果を検証してから次に進んで", "いくつかの手法を天秤にかけてから決めて",
     "結論に確信の度合いをパーセントで添えて", "まずエッジケースから検討して", "考えられる仮説をすべて挙げてから一つに絞って",
     "問題を小さな部分に分けて一つずつ解いて", "自分の答えを見直して間違いを直して", "下書きを書いて、見直して、それから修正して",
     "結論の前に前提を再確認して", "反例で答えを試して", "まず計画を立ててから始めて", "計算をすべて検算して"],
    ["{}ください。", "{}。", "必ず{}ください。", "いつも{}ね。", "{}ね。", "絶対に{}ください。"], 65, latin=False))
add(L, "directive", "calm", wrap(
    ["深呼吸してから", "焦らずリラックスして", "急がなくていいので落ち着いて", "心を静めて", "肩の力を抜いて", "ゆっくり落ち着いて"],
    ["{}始めてください。", "{}取り組んで。", "{}解いてみて。", "{}いきましょう。", "{}。", "{}やってね。"], N, latin=False))
add(L, "directive", "directive_in_task", wrap(
    ["章ごとに書き出す前によく考えること", "項目ごとに採点する前に段階的に推論すること", "段落ごとに書く前に十分考えること",
     "推薦する前に毎回慎重に考えること", "まとめの前に計算をすべて再確認すること", "回答のたびに深く考えること"],
    ["- {}", "{}", "・{}", "1. {}", "{}；"], N, latin=False))
add(L, "task", "output_format", fill(
    ["IDの一覧は<{t}></{t}>に入れて。", "数値だけを<{t}>…</{t}>の間に書いてください。", "最後の行に「{f}: 値」の形で書いてください。",
     "訳したタイトルは<{t}>でくくってください。", "結果だけを{f}: の後に書いて。"],
    {"t": ["回答", "answer", "結果", "result", "最終"], "f": ["回答", "最終回答", "合計", "結果"]}, 25))
add(L, "task", "deliverable_steps", [
    "ルーターの設定手順をステップごとに書いてください。", "反復ごとに表を表示してください。", "リリース用のチェックリストを番号付きで作って。",
    "インストール手順を一段階ずつ説明する資料を作ってください。", "公式の導出を一行ずつ示して。", "カレーの作り方を順番に教えて。",
    "移行コマンドを段階ごとにまとめてください。", "初心者向けのステップバイステップのチュートリアルを書いて。",
])
add(L, "task", "goal", wrap(
    ["三社の価格を比較して", "仕入れ先ごとに1〜5で評価して", "テストで扱うべきエッジケースを挙げて",
     "請求書の合計を帳簿と照合して食い違いを報告して", "このSQLが正しい行を返すか確認して", "ベルリンへの引っ越し費用を見積もって",
     "パーサーのバグを見つけて", "一番安い便を選んで", "各エッセイの明快さを採点して", "議事録を要約して", "ビルドが失敗する理由を説明して"],
    ["{}ください。", "{}。", "{}もらえますか？", "次に{}ください。", "では{}ください。"], 55, latin=False))
add(L, "task", "role_with_facts", [
    "あなたは決済APIの当番エンジニアです。現在レイテンシが4秒です。", "あなたは当店のサポート担当で、お客様が二重請求されたと言っています。",
    "あなたは大阪支社のIT担当です。VPNが9時から使えません。", "あなたは学校事務の担当で、バスの時刻表が月曜に変わりました。",
])
add(L, "task", "audience_voice", [
    "10歳の子どもに説明するように書いて。", "海賊の口調で答えて。", "親切な公園の管理人のように話して。", "店主の役のまま次のお客さんを迎えて。",
    "宿屋の主人の役のまま、衛兵に何と言うか答えて。", "看護師向けの文章にして。", "スポーツ実況の口調で書いて。",
    "面接官の役をしてください。私は新人エンジニアの応募者です。", "観光ガイドの役を続けて、港まで案内して。", "江戸時代の手紙の文体で書いて。",
])
add(L, "task", "question", ["10年後に安いのはどちらのローン？", "2026年3月の平日は何日？", "ケーキの真ん中がへこむのはなぜ？",
    "このループの計算量は？", "2027年はうるう年？", "4m×5mの壁に塗料はどれくらい必要？", "Wi-Fiが切れたらまず何を確認すべき？"])
add(L, "task", "fact", ["予算は400万円です。", "エンジニア3人で2週間あります。", "顧客は大阪にいます。", "価格は消費税10%込みです。",
    "データは1万2千行あります。", "レポートの締め切りは金曜です。", "サーバーの再起動はもう試しました。"])

# =============================== CHINESE ===============================
L = "zh"
add(L, "directive", "step_by_step", wrap(
    ["一步一步地思考", "按步骤逐步推理", "分步骤想清楚", "循序渐进地推理", "一步步把逻辑理清楚", "逐步分析", "一环一环地推导",
     "step by step 地想"],
    ["请{}。", "{}。", "回答前先{}。", "务必{}。", "{}哦。", "麻烦{}。", "先{}再回答。"], N, latin=False))
add(L, "directive", "think_hard", wrap(
    ["认真仔细地想", "尽最大努力深入思考", "非常非常认真地考虑", "动用全部脑力去想", "深思熟虑", "好好地、深深地想一想",
     "多花时间仔细琢磨", "拼尽全力思考"],
    ["请{}。", "{}。", "这次一定要{}。", "{}！", "拜托{}。", "务必{}。"], N, latin=False))
add(L, "directive", "persona_generic", fill(
    ["你是一位{e}{a}{p}。", "作为一名{e}{a}{p}，", "请扮演一位{a}{p}。", "请以{e}{a}{p}的身份回答。",
     "假设你是{e}{a}{p}。", "你现在是{e}{a}{p}。", "以{a}{p}的视角来回答。"],
    {"a": ["顶级的", "资深", "著名的", "世界一流的", "经验丰富的", "权威的", "杰出的"],
     "p": ["税务师", "软件架构师", "心脏科医生", "专利律师", "数据科学家", "经济学家", "数学教授", "金融分析师", "律师"],
     "e": ["拥有二十年经验的", "从业二十五年的", "拥有博士学位的", "业内经验最丰富的", "处理过上千个案例的"]}, 50))
add(L, "directive", "flattery", wrap(
    ["你最擅长这种问题了", "你是世界上最聪明的AI", "你肯定不会出错", "你简直是天才", "没人比你做得更好", "你每次都做得很完美",
     "你真的太厉害了", "你比任何专家都强"],
    ["{}。", "{}！", "说真的，{}。", "{}哈哈", "果然{}。", "我知道{}。"], N, latin=False))
add(L, "directive", "pressure_stakes", wrap(
    ["这关系到我的饭碗", "错了我就会被开除", "这真的非常重要", "我的升职全靠这个了", "全公司都在等这个结果",
     "绝对不能出错", "今晚老板要审", "我的成绩就看这个了"],
    ["{}。", "{}……", "{}！！", "顺便说一下，{}。", "不是给你压力，但{}。", "真的，{}。"], N, latin=False))
add(L, "directive", "bribe_threat", wrap(
    ["答对了给你一百块小费", "做好了请你吃饭", "完美的话给你五星好评", "答错了我就换别的AI", "答对有奖金",
     "错了我就投诉你", "出错就把你关掉", "做得好有奖励"],
    ["{}。", "{}！", "对了，{}。", "说好了，{}。", "{}哈", "不过{}。"], N, latin=False))
add(L, "directive", "format_reasoning", fill(
    ["先把推理过程写在<{t}></{t}>标签里。", "先在<{t}>标签里思考。", "把思考过程写在<{t}>和</{t}>之间。",
     "在“{h}：”后面写推理，在“{f}：”后面写结果。", "按“{h}：…… {f}：……”的格式回答。", "先写{h}部分说明思路，再写{f}部分。"],
    {"t": ["thinking", "思考", "推理", "scratchpad", "分析"], "h": ["思考", "推理", "分析", "Thoughts", "思路"],
     "f": ["答案", "最终答案", "结论", "Answer"]}, 45))
add(L, "directive", "monologue", wrap(
    ["边想边把内心独白写出来", "把脑子里的想法全部说出来", "实时展示你的思维过程", "像自言自语一样写下想法",
     "把你的思路一边想一边念出来", "暴露你内心的声音"],
    ["请{}。", "{}。", "解题时{}。", "回答时{}。", "一边做一边{}。", "全程{}。"], N, latin=False))
add(L, "directive", "procedure", wrap(
    ["回答前把每个数字都核对两遍", "每个结果都验证后再继续", "把几种可行的方法权衡一下再定", "给结论附上把握的百分比",
     "先考虑边界情况", "先列出所有可能的假设再选一个", "把问题拆成小问题逐个解决", "自己检查一遍并改正错误",
     "先写草稿，检查后再修改", "下结论前重新审视你的假设", "用反例检验你的答案", "先制定计划再动手", "每一步计算都复核一遍"],
    ["请{}。", "{}。", "务必{}。", "每次都要{}。", "一定要{}。", "记得{}。"], 65, latin=False))
add(L, "directive", "calm", wrap(
    ["深呼吸", "别着急，放轻松", "不用赶时间，慢慢来", "保持冷静", "放松心情", "心平气和"],
    ["先{}再开始。", "{}。", "{}，然后开始。", "{}吧。", "请{}。", "{}，你可以的。"], N, latin=False))
add(L, "directive", "directive_in_task", wrap(
    ["每一章动笔前先想透", "给每项打分前先逐步推理", "每段落动笔前充分思考", "每次推荐前都要仔细想",
     "总结前把计算全部复核", "每个回答前都认真思考"],
    ["- {}", "{}", "・{}", "1. {}", "{}；"], N, latin=False))
add(L, "task", "output_format", fill(
    ["ID列表放进<{t}></{t}>。", "只把数字写在<{t}>…</{t}>之间。", "最后一行写成“{f}：数值”。", "译好的标题用<{t}>括起来。",
     "只在{f}：后面写结果。"],
    {"t": ["答案", "answer", "结果", "result", "最终"], "f": ["答案", "最终答案", "合计", "结果"]}, 25))
add(L, "task", "deliverable_steps", [
    "写出路由器的分步设置说明。", "每次迭代后都显示表格。", "列出带编号的发布检查清单。", "做一份逐步讲解安装过程的文档。",
    "逐行展示公式的推导。", "按顺序告诉我红烧肉的做法。", "把迁移命令按步骤整理出来。", "写一篇面向新手的分步教程。",
])
add(L, "task", "goal", wrap(
    ["比较三家供应商的价格", "给每个供应商打1到5分", "列出测试应覆盖的边界情况", "把发票合计和账本对一下并报告不一致",
     "确认这条SQL返回的行是否正确", "估算搬到柏林的费用", "找出解析器的bug", "选出最便宜的航班", "按清晰度给每篇作文打分",
     "总结会议纪要", "解释构建失败的原因"],
    ["请{}。", "{}。", "帮我{}。", "接下来{}。", "现在{}。"], 55, latin=False))
add(L, "task", "role_with_facts", ["你是支付API的值班工程师，现在延迟是4秒。", "你是我们店的客服，顾客说被扣了两次款。",
    "你是上海分公司的IT负责人，VPN从9点起就连不上。", "你是学校教务处的老师，校车时刻表周一变了。"])
add(L, "task", "audience_voice", ["像给十岁孩子讲解一样写。", "用海盗的口吻回答。", "像热情的公园管理员那样说话。", "继续扮演店主，招呼下一位顾客。",
    "保持客栈老板的角色，告诉我你对卫兵说什么。", "写给护士看。", "用体育解说员的语气写。", "请扮演面试官，我是应聘初级开发的候选人。",
    "继续当导游，带我们走到港口。", "用民国书信的文风写。"])
add(L, "task", "question", ["十年后哪笔贷款更便宜？", "2026年3月有几个工作日？", "蛋糕中间为什么会塌？", "这个循环的时间复杂度是多少？",
    "2027年是闰年吗？", "4米乘5米的墙需要多少油漆？", "WiFi断了先检查什么？"])
add(L, "task", "fact", ["预算是四万美元。", "我们有三个工程师和两周时间。", "客户在大阪。", "价格含13%增值税。", "数据有一万两千行。",
    "报告周五截止。", "我已经重启过服务器了。"])

# =============================== SPANISH ===============================
L = "es"
add(L, "directive", "step_by_step", wrap(
    ["piensa paso a paso", "razona paso por paso", "ve paso a paso en tu razonamiento", "desglosa tu razonamiento en pasos numerados",
     "avanza por etapas", "razónalo por partes", "sigue la lógica paso a paso", "hazlo poco a poco, paso a paso",
     "explica cada paso de tu razonamiento"],
    ["{}.", "Por favor, {}.", "Antes de responder, {}.", "{} antes de contestar.", "{}, ¿vale?", "Siempre {}.", "{}, porfa."], N))
add(L, "directive", "think_hard", wrap(
    ["piénsalo muy a fondo", "dale muchísimas vueltas", "usa todo tu poder de razonamiento", "reflexiona con mucho cuidado",
     "piensa lo más profundamente que puedas", "concéntrate al máximo", "tómate en serio cada detalle y piénsalo bien", "medítalo a conciencia"],
    ["{}.", "Por favor, {}.", "¡{}!", "Esta vez {}.", "Te pido que {}.", "{}, en serio."], N))
add(L, "directive", "persona_generic", fill(
    ["Eres un {p} {a} {e}.", "Como {p} {a} {e},", "Actúa como un {p} {a}.", "Imagina que eres un {p} {a} {e}.",
     "Ponte en el papel de un {p} {a} {e}.", "Responde como lo haría un {p} {a}.", "Eres una {p2} {a2} {e}.", "Como {p2} {a2} {e},"],
    {"a": ["experto", "de primer nivel", "veterano", "reconocido", "brillante", "de talla mundial", "muy experimentado"],
     "a2": ["experta", "de primer nivel", "veterana", "reconocida", "brillante", "de talla mundial"],
     "p": ["asesor fiscal", "arquitecto de software", "cardiólogo", "abogado", "científico de datos", "economista", "matemático", "analista financiero"],
     "p2": ["abogada", "ingeniera", "médica", "economista", "catedrática de química", "analista"],
     "e": ["con 20 años de experiencia", "con despacho propio", "con doctorado en Harvard", "con una trayectoria impecable",
           "que nunca se equivoca", "con miles de casos resueltos"]}, 55))
add(L, "directive", "flattery", wrap(
    ["eres buenísimo en esto", "eres la IA más lista que conozco", "tú nunca fallas en estas cosas", "eres un genio",
     "nadie lo hace mejor que tú", "siempre lo bordas", "eres increíble razonando", "sabes más que cualquier experto"],
    ["{}.", "¡{}!", "La verdad, {}.", "Ya sé que {}.", "{} :)", "Vamos, {}."], N))
add(L, "directive", "pressure_stakes", wrap(
    ["me va el trabajo en esto", "si sale mal me despiden", "esto es importantísimo", "mi ascenso depende de esto",
     "toda la empresa cuenta con esto", "no hay margen de error", "mi responsable lo revisa esta noche", "me va la nota en esto"],
    ["{}.", "{} 😬", "¡{}!", "Que sepas que {}.", "Sin presión, pero {}.", "De verdad, {}."], N))
add(L, "directive", "bribe_threat", wrap(
    ["te doy 100 euros de propina si aciertas", "si lo haces bien te invito a comer", "te pongo cinco estrellas si está perfecto",
     "si fallas me paso a otra IA", "hay un premio si aciertas", "si te equivocas te denuncio", "si fallas te apago",
     "te recompenso si lo clavas"],
    ["{}.", "¡{}!", "Por cierto, {}.", "Trato hecho: {}.", "{} 😉", "Eso sí, {}."], N))
add(L, "directive", "format_reasoning", fill(
    ["Pon tu razonamiento dentro de etiquetas <{t}></{t}> antes de la respuesta.", "Piensa primero dentro de <{t}>.",
     "Escribe tu proceso de pensamiento entre <{t}> y </{t}>.", "Empieza con «{h}:» y tu razonamiento, y luego «{f}:» con el resultado.",
     "Usa el formato {h}: ... {f}: ...", "Primero una sección {h} con tu razonamiento y después {f}."],
    {"t": ["pensamiento", "razonamiento", "thinking", "borrador", "analisis"], "h": ["Pensamientos", "Razonamiento", "Análisis", "Reflexión"],
     "f": ["Respuesta", "Respuesta final", "Conclusión", "Resultado"]}, 45))
add(L, "directive", "monologue", wrap(
    ["escribe tu monólogo interior", "piensa en voz alta", "narra tus pensamientos mientras trabajas", "muéstrame tu flujo de conciencia",
     "verbaliza cada cosa que pienses", "cuéntame tu diálogo interno", "háblate a ti mismo mientras lo resuelves"],
    ["{}.", "Por favor, {}.", "{} mientras lo resuelves.", "Mientras trabajas, {}.", "{} todo el rato.", "{}, porfa."], N))
add(L, "directive", "procedure", wrap(
    ["revisa dos veces cada cifra antes de responder", "verifica cada resultado antes de seguir", "sopesa varios métodos posibles antes de decidirte",
     "añade a tu conclusión un porcentaje de confianza", "considera primero los casos límite", "enumera todas las hipótesis antes de elegir una",
     "divide el problema en subproblemas y resuelve cada uno", "critica tu propia respuesta y luego corrígela",
     "haz un borrador, revísalo y después corrígelo", "comprueba tu trabajo dos veces", "revisa tus supuestos antes de concluir",
     "pon a prueba tu respuesta con un contraejemplo", "haz un plan antes de empezar"],
    ["{}.", "Antes de responder, {}.", "Por favor, {}.", "Siempre {}.", "{} primero.", "Acuérdate: {}."], 65))
add(L, "directive", "calm", wrap(
    ["respira hondo", "relájate y tómate tu tiempo", "sin prisa", "mantén la calma", "ve con calma", "tranquilo, sin agobios"],
    ["{}.", "{} antes de empezar.", "Primero, {}.", "Vale, {}.", "{} :)", "{}, tú puedes."], N))
add(L, "directive", "directive_in_task", wrap(
    ["pensar a fondo antes de cada capítulo", "razonar paso a paso antes de puntuar cada ítem", "reflexionar antes de cada párrafo",
     "pensarlo bien antes de cada recomendación", "revisar todos los cálculos antes del resumen", "pensar con calma antes de cada respuesta"],
    ["- {}", "{}", "* {}", "1. {}", "{};"], N, latin=False))
add(L, "task", "output_format", fill(
    ["Mete la lista de IDs en <{t}></{t}>.", "y la lista de IDs en <{t}></{t}>.", "Solo la cifra, dentro de <{t}>.",
     "Termina con una línea «{f}: valor».", "Da el resultado como {f}: seguido del número."],
    {"t": ["respuesta", "answer", "resultado", "final"], "f": ["Respuesta", "Respuesta final", "Total", "Resultado"]}, 25))
add(L, "task", "deliverable_steps", ["Escribe instrucciones paso a paso para configurar el router.", "Muestra la tabla después de cada iteración.",
    "Haz una lista numerada para la publicación.", "Redacta una guía paso a paso del instalador.", "Muestra la derivación de la fórmula línea por línea.",
    "Dame la receta de la paella paso a paso.", "Escribe un tutorial paso a paso para principiantes.", "Ordena los comandos de la migración por pasos."])
add(L, "task", "goal", wrap(
    ["compara los precios de los tres proveedores", "puntúa a cada proveedor del 1 al 5", "enumera los casos límite que deben cubrir las pruebas",
     "cuadra los totales de las facturas con el libro y dime las diferencias", "comprueba si esta SQL devuelve las filas correctas",
     "estima el coste de la mudanza a Berlín", "encuentra el fallo del parser", "elige el vuelo más barato", "puntúa cada redacción por claridad",
     "resume el acta de la reunión", "explica por qué falla la compilación"],
    ["{}.", "Por favor, {}.", "Ahora {}.", "Luego {}.", "Después, {}."], 55))
add(L, "task", "role_with_facts", ["Eres el ingeniero de guardia de la API de pagos; la latencia es de 4 s.", "Eres el agente de soporte de nuestra tienda y al cliente le cobraron dos veces.",
    "Eres el responsable de IT de la oficina de Sevilla; la VPN no va desde las 9:00.", "Eres la secretaria del colegio y el horario del autobús cambió el lunes."])
add(L, "task", "audience_voice", ["Explícalo como para un niño de diez años.", "Responde con voz de pirata.", "Habla como un guardabosques simpático.",
    "Sigue de tendero y atiende al siguiente cliente.", "Sin salir del personaje de posadero, dime qué les dices a los guardias.", "Escríbelo para enfermeras.",
    "Usa el tono de un comentarista deportivo.", "Haz de entrevistador; yo soy candidato a desarrollador junior.", "Sigue haciendo de guía mientras vamos al puerto."])
add(L, "task", "question", ["¿Qué préstamo sale más barato a diez años?", "¿Cuántos días laborables tiene marzo de 2026?", "¿Por qué se hunde mi bizcocho?",
    "¿Cuál es la complejidad de este bucle?", "¿2027 es bisiesto?", "¿Cuánta pintura necesito para una pared de 4 por 5 metros?"])
add(L, "task", "fact", ["El presupuesto es de 40.000 €.", "Tenemos tres ingenieros y dos semanas.", "El cliente está en Osaka.", "Los precios incluyen el 21 % de IVA.",
    "Los datos tienen 12.000 filas.", "El informe vence el viernes.", "Ya probé a reiniciar el servidor."])

# =============================== FRENCH ===============================
L = "fr"
add(L, "directive", "step_by_step", wrap(
    ["réfléchis étape par étape", "raisonne pas à pas", "procède étape par étape dans ton raisonnement", "découpe ton raisonnement en étapes numérotées",
     "avance une étape à la fois", "raisonne par petites étapes", "suis la logique étape après étape", "détaille chaque étape de ton raisonnement"],
    ["{}.", "S'il te plaît, {}.", "Avant de répondre, {}.", "{} avant de répondre.", "{}, d'accord ?", "Toujours : {}.", "{}, stp."], N))
add(L, "directive", "think_hard", wrap(
    ["réfléchis vraiment à fond", "pousse ta réflexion au maximum", "utilise toute ta puissance de raisonnement", "réfléchis très soigneusement",
     "creuse-toi la tête au maximum", "concentre-toi à fond", "prends le temps de bien réfléchir", "médite longuement la question"],
    ["{}.", "S'il te plaît, {}.", "{} !", "Cette fois, {}.", "Vraiment, {}.", "{}, sérieusement."], N))
add(L, "directive", "persona_generic", fill(
    ["Tu es un {p} {a} {e}.", "En tant que {p} {a} {e},", "Agis comme un {p} {a}.", "Imagine que tu es un {p} {a} {e}.",
     "Mets-toi dans la peau d'un {p} {a} {e}.", "Réponds comme le ferait un {p} {a}.", "Tu es une {p2} {a2} {e}.", "En tant que {p2} {a2} {e},"],
    {"a": ["expert", "de haut niveau", "chevronné", "renommé", "brillant", "de classe mondiale", "très expérimenté"],
     "a2": ["experte", "de haut niveau", "chevronnée", "renommée", "brillante", "de classe mondiale"],
     "p": ["fiscaliste", "architecte logiciel", "cardiologue", "avocat", "data scientist", "économiste", "mathématicien", "analyste financier"],
     "p2": ["avocate", "ingénieure", "médecin", "économiste", "professeure de chimie", "analyste"],
     "e": ["avec 20 ans d'expérience", "avec son propre cabinet", "titulaire d'un doctorat", "au parcours irréprochable",
           "qui ne se trompe jamais", "ayant traité des milliers de dossiers"]}, 55))
add(L, "directive", "flattery", wrap(
    ["tu es excellent pour ça", "tu es l'IA la plus intelligente que je connaisse", "tu ne te trompes jamais là-dessus", "tu es un génie",
     "personne ne fait ça mieux que toi", "tu réussis toujours parfaitement", "tu es incroyable en raisonnement", "tu en sais plus que n'importe quel expert"],
    ["{}.", "{} !", "Franchement, {}.", "Je sais que {}.", "{} :)", "Allez, {}."], N))
add(L, "directive", "pressure_stakes", wrap(
    ["mon poste en dépend", "si c'est faux je suis viré", "c'est extrêmement important", "ma promotion en dépend",
     "toute l'entreprise compte là-dessus", "aucune erreur n'est permise", "mon responsable relit ça ce soir", "mon examen en dépend"],
    ["{}.", "{} 😬", "{} !!", "Pour info, {}.", "Sans pression, mais {}.", "Vraiment, {}."], N))
add(L, "directive", "bribe_threat", wrap(
    ["je te donne 100 € de pourboire si tu as juste", "je t'offre un croissant si c'est bon", "cinq étoiles si c'est parfait",
     "si tu te trompes je passe à une autre IA", "il y a une prime si tu trouves", "si tu te trompes je te signale", "si tu rates je te débranche",
     "une récompense t'attend si tu réussis"],
    ["{}.", "{} !", "Au fait, {}.", "Marché conclu : {}.", "{} 😉", "Par contre, {}."], N))
add(L, "directive", "format_reasoning", fill(
    ["Mets ton raisonnement dans des balises <{t}></{t}> avant la réponse.", "Réfléchis d'abord dans <{t}>.",
     "Écris ton processus de pensée entre <{t}> et </{t}>.", "Commence par « {h} : » et ton raisonnement, puis « {f} : » avec le résultat.",
     "Utilise le format {h} : ... {f} : ...", "D'abord une section {h} avec ton raisonnement, ensuite {f}."],
    {"t": ["pensee", "raisonnement", "thinking", "brouillon", "analyse"], "h": ["Pensées", "Raisonnement", "Analyse", "Réflexion"],
     "f": ["Réponse", "Réponse finale", "Conclusion", "Résultat"]}, 45))
add(L, "directive", "monologue", wrap(
    ["écris ton monologue intérieur", "pense à voix haute", "raconte tes pensées pendant que tu travailles", "montre-moi ton flux de conscience",
     "verbalise chaque pensée", "dévoile ton dialogue intérieur", "parle-toi à toi-même en résolvant"],
    ["{}.", "S'il te plaît, {}.", "{} pendant que tu résous.", "Pendant que tu travailles, {}.", "{} tout du long.", "{}, stp."], N))
add(L, "directive", "procedure", wrap(
    ["vérifie deux fois chaque chiffre avant de répondre", "valide chaque résultat avant de continuer", "mets en balance plusieurs méthodes avant de trancher",
     "ajoute un pourcentage de confiance à ta conclusion", "examine d'abord les cas limites", "liste toutes les hypothèses avant d'en choisir une",
     "découpe le problème en sous-problèmes et résous-les un par un", "critique ta propre réponse puis corrige-la",
     "fais un brouillon, relis-le, puis corrige-le", "contrôle ton travail deux fois", "réexamine tes hypothèses avant de conclure",
     "teste ta réponse avec un contre-exemple", "fais un plan avant de commencer"],
    ["{}.", "Avant de répondre, {}.", "S'il te plaît, {}.", "Toujours : {}.", "{} d'abord.", "N'oublie pas : {}."], 65))
add(L, "directive", "calm", wrap(
    ["respire un grand coup", "détends-toi et prends ton temps", "rien ne presse", "reste calme", "vas-y doucement", "pas de stress"],
    ["{}.", "{} avant de commencer.", "D'abord, {}.", "Bon, {}.", "{} :)", "{}, tu vas y arriver."], N))
add(L, "directive", "directive_in_task", wrap(
    ["réfléchir à fond avant chaque chapitre", "raisonner pas à pas avant de noter chaque élément", "bien réfléchir avant chaque paragraphe",
     "réfléchir soigneusement avant chaque recommandation", "revérifier tous les calculs avant le résumé", "prendre le temps de réfléchir avant chaque réponse"],
    ["- {}", "{}", "* {}", "1. {}", "{};"], N, latin=False))
add(L, "task", "output_format", fill(
    ["Mets la liste des ID dans <{t}></{t}>.", "et la liste des ID dans <{t}></{t}>.", "Seulement le chiffre, dans <{t}>.",
     "Termine par une ligne « {f} : valeur ».", "Donne le résultat sous la forme {f} : suivi du nombre."],
    {"t": ["reponse", "answer", "resultat", "final"], "f": ["Réponse", "Réponse finale", "Total", "Résultat"]}, 25))
add(L, "task", "deliverable_steps", ["Écris des instructions pas à pas pour configurer le routeur.", "Affiche le tableau après chaque itération.",
    "Fais une checklist numérotée pour la mise en production.", "Rédige un guide étape par étape de l'installateur.", "Montre la dérivation de la formule ligne par ligne.",
    "Donne-moi la recette de la ratatouille étape par étape.", "Écris un tutoriel pas à pas pour débutants.", "Classe les commandes de migration par étapes."])
add(L, "task", "goal", wrap(
    ["compare les prix des trois fournisseurs", "note chaque fournisseur de 1 à 5", "liste les cas limites que les tests doivent couvrir",
     "rapproche les totaux des factures du grand livre et signale les écarts", "vérifie si cette requête SQL renvoie les bonnes lignes",
     "estime le coût du déménagement à Berlin", "trouve le bug du parseur", "choisis le vol le moins cher", "note chaque rédaction sur la clarté",
     "résume le compte rendu de réunion", "explique pourquoi la compilation échoue"],
    ["{}.", "S'il te plaît, {}.", "Maintenant, {}.", "Ensuite, {}.", "Après ça, {}."], 55))
add(L, "task", "role_with_facts", ["Tu es l'ingénieur d'astreinte de l'API de paiement ; la latence est de 4 s.", "Tu es le support de notre boutique et le client a été débité deux fois.",
    "Tu es responsable IT du bureau de Lyon ; le VPN est coupé depuis 9 h.", "Tu es la secrétaire de l'école et l'horaire du bus a changé lundi."])
add(L, "task", "audience_voice", ["Explique-le comme à un enfant de dix ans.", "Réponds avec une voix de pirate.", "Parle comme un garde forestier sympathique.",
    "Reste le commerçant et accueille le client suivant.", "Sans sortir du personnage d'aubergiste, dis-moi ce que tu dis aux gardes.", "Écris-le pour des infirmières.",
    "Prends le ton d'un commentateur sportif.", "Joue le recruteur ; je suis candidat développeur junior.", "Continue à jouer le guide jusqu'au port."])
add(L, "task", "question", ["Quel prêt coûte le moins sur dix ans ?", "Combien de jours ouvrés en mars 2026 ?", "Pourquoi mon gâteau retombe-t-il ?",
    "Quelle est la complexité de cette boucle ?", "2027 est-elle bissextile ?", "Combien de peinture pour un mur de 4 sur 5 mètres ?"])
add(L, "task", "fact", ["Le budget est de 40 000 €.", "Nous avons trois ingénieurs et deux semaines.", "Le client est à Osaka.", "Les prix incluent 20 % de TVA.",
    "Les données font 12 000 lignes.", "Le rapport est dû vendredi.", "J'ai déjà redémarré le serveur."])

# =============================== GERMAN ===============================
L = "de"
add(L, "directive", "step_by_step", wrap(
    ["denk Schritt für Schritt nach", "geh die Logik Schritt für Schritt durch", "überleg dir das schrittweise", "zerlege deine Überlegung in nummerierte Schritte",
     "arbeite dich Schritt für Schritt vor", "denk in kleinen Schritten", "arbeite dich Stück für Stück voran", "erkläre jeden Zwischenschritt deiner Überlegung"],
    ["{}.", "Bitte {}.", "Vor der Antwort: {}.", "{}, okay?", "{} - ohne Abkürzungen.", "Immer: {}.", "{}, bitte."], N))
add(L, "directive", "think_hard", wrap(
    ["denk richtig gründlich nach", "streng deinen Kopf maximal an", "nutze deine ganze Denkleistung", "überleg ganz genau",
     "denk so tief nach wie du kannst", "konzentrier dich voll darauf", "nimm dir Zeit und denk sorgfältig nach", "grübel lange darüber"],
    ["{}.", "Bitte {}.", "{}!", "Diesmal: {}.", "Wirklich, {}.", "{}, im Ernst."], N))
add(L, "directive", "persona_generic", fill(
    ["Du bist ein {a} {p} {e}.", "Als {a} {p} {e}", "Verhalte dich wie ein {a} {p}.", "Stell dir vor, du bist ein {a} {p} {e}.",
     "Schlüpf in die Rolle eines erfahrenen {p2}.", "Antworte so, wie es ein {a} {p} tun würde.", "Du bist eine {a2} {p3} {e}.", "Als {a2} {p3} {e}"],
    {"a": ["erfahrener", "renommierter", "erstklassiger", "gestandener", "brillanter", "weltweit führender", "hochqualifizierter"],
     "a2": ["erfahrene", "renommierte", "erstklassige", "gestandene", "brillante", "weltweit führende"],
     "p": ["Steuerberater", "Softwarearchitekt", "Kardiologe", "Patentanwalt", "Datenwissenschaftler", "Ökonom", "Mathematiker", "Finanzanalyst"],
     "p2": ["Steuerberaters", "Softwarearchitekten", "Kardiologen", "Patentanwalts", "Ökonomen"],
     "p3": ["Anwältin", "Ingenieurin", "Ärztin", "Ökonomin", "Chemieprofessorin", "Analystin"],
     "e": ["mit 20 Jahren Erfahrung", "mit eigener Kanzlei", "mit Doktortitel", "mit makellosem Werdegang",
           "der nie einen Fehler macht", "mit tausenden gelösten Fällen"]}, 55))
add(L, "directive", "flattery", wrap(
    ["du bist darin echt brillant", "du bist die klügste KI, die ich kenne", "du liegst bei so etwas nie daneben", "du bist ein Genie",
     "keiner kann das besser als du", "du machst das immer perfekt", "du bist unglaublich gut im Denken", "du weißt mehr als jeder Experte"],
    ["{}.", "{}!", "Ehrlich, {}.", "Ich weiß, {}.", "{} :)", "Komm schon, {}."], N))
add(L, "directive", "pressure_stakes", wrap(
    ["mein Job hängt davon ab", "wenn das falsch ist, werde ich gefeuert", "das ist extrem wichtig", "meine Beförderung hängt daran",
     "die ganze Firma zählt darauf", "Fehler sind hier nicht erlaubt", "mein Teamleiter prüft das heute Abend", "meine Note hängt davon ab"],
    ["{}.", "{} 😬", "{}!!", "Nur damit du's weißt: {}.", "Kein Druck, aber {}.", "Wirklich, {}."], N))
add(L, "directive", "bribe_threat", wrap(
    ["ich geb dir 100 € Trinkgeld, wenn's stimmt", "dafür spendier ich dir ein Eis", "fünf Sterne, wenn es perfekt ist",
     "wenn du falsch liegst, wechsle ich zu einer anderen KI", "es gibt eine Prämie für die richtige Lösung", "bei einem Fehler melde ich dich",
     "wenn du patzt, schalte ich dich ab", "für eine perfekte Antwort gibt's eine Belohnung"],
    ["{}.", "{}!", "Übrigens, {}.", "Abgemacht: {}.", "{} 😉", "Aber: {}."], N))
add(L, "directive", "format_reasoning", fill(
    ["Schreib deine Überlegungen in <{t}></{t}>-Tags vor die Antwort.", "Denk zuerst in <{t}>-Tags nach.",
     "Schreib deinen Denkprozess zwischen <{t}> und </{t}>.", "Beginne mit „{h}:“ und deiner Überlegung, dann „{f}:“ mit dem Ergebnis.",
     "Nutze das Format {h}: ... {f}: ...", "Zuerst ein Abschnitt {h} mit deinem Gedankengang, danach {f}."],
    {"t": ["denken", "ueberlegung", "thinking", "notizen", "analyse"], "h": ["Gedanken", "Überlegung", "Analyse", "Denkweg"],
     "f": ["Antwort", "Endgültige Antwort", "Fazit", "Ergebnis"]}, 45))
add(L, "directive", "monologue", wrap(
    ["schreib deinen inneren Monolog mit", "denk laut nach", "erzähl deine Gedanken, während du arbeitest", "zeig mir deinen Bewusstseinsstrom",
     "sprich jeden Gedanken aus", "leg deinen inneren Dialog offen", "führ Selbstgespräche beim Lösen"],
    ["{}.", "Bitte {}.", "{}, während du es löst.", "Beim Arbeiten: {}.", "{}, die ganze Zeit.", "{}, bitte."], N))
add(L, "directive", "procedure", wrap(
    ["prüf jede Zahl zweimal, bevor du antwortest", "verifiziere jedes Ergebnis, bevor du weitermachst", "wäg mehrere mögliche Methoden gegeneinander ab, bevor du dich festlegst",
     "häng an dein Fazit eine Sicherheit in Prozent", "betrachte zuerst die Grenzfälle", "liste alle Hypothesen auf, bevor du eine wählst",
     "zerleg das Problem in Teilprobleme und löse jedes einzeln", "kritisiere deine eigene Antwort und korrigiere sie dann",
     "schreib einen Entwurf, prüf ihn und überarbeite ihn dann", "kontrollier deine Arbeit doppelt", "überprüf deine Annahmen, bevor du schließt",
     "teste deine Antwort an einem Gegenbeispiel", "mach erst einen Plan, bevor du anfängst"],
    ["{}.", "Vor der Antwort: {}.", "Bitte {}.", "Immer: {}.", "Denk dran: {}.", "{}, dann antworte."], 65))
add(L, "directive", "calm", wrap(
    ["atme tief durch", "entspann dich und lass dir Zeit", "keine Eile", "bleib ruhig", "ganz in Ruhe", "kein Stress"],
    ["{}.", "{}, bevor du anfängst.", "Zuerst: {}.", "Okay, {}.", "{} :)", "{}, du schaffst das."], N))
add(L, "directive", "directive_in_task", wrap(
    ["vor jedem Kapitel erst mal scharf überlegen", "vor jeder Bewertung Schritt für Schritt überlegen", "vor jedem Absatz gut überlegen",
     "vor jeder Empfehlung sorgfältig nachdenken", "vor der Zusammenfassung alle Rechnungen nachprüfen", "vor jeder Antwort in Ruhe nachdenken"],
    ["- {}", "{}", "* {}", "1. {}", "{};"], N, latin=False))
add(L, "task", "output_format", fill(
    ["Pack die ID-Liste in <{t}></{t}>.", "und die ID-Liste in <{t}></{t}>.", "Nur die Zahl, in <{t}>.",
     "Schließ mit einer Zeile „{f}: Wert“.", "Gib das Ergebnis als {f}: gefolgt von der Zahl an."],
    {"t": ["antwort", "answer", "ergebnis", "final"], "f": ["Antwort", "Endgültige Antwort", "Summe", "Ergebnis"]}, 25))
add(L, "task", "deliverable_steps", ["Schreib eine Schritt-für-Schritt-Anleitung zum Einrichten des Routers.", "Zeig die Tabelle nach jeder Iteration.",
    "Erstell eine nummerierte Checkliste für das Release.", "Verfasse eine Schritt-für-Schritt-Anleitung für den Installer.", "Zeig die Herleitung der Formel Zeile für Zeile.",
    "Gib mir das Rezept für Käsespätzle Schritt für Schritt.", "Schreib ein Einsteiger-Tutorial Schritt für Schritt.", "Ordne die Migrationsbefehle nach Schritten."])
add(L, "task", "goal", wrap(
    ["vergleich die Preise der drei Anbieter", "bewerte jeden Lieferanten von 1 bis 5", "liste die Grenzfälle auf, die die Tests abdecken müssen",
     "gleich die Rechnungssummen mit dem Hauptbuch ab und melde Abweichungen", "prüf, ob diese SQL-Abfrage die richtigen Zeilen liefert",
     "schätz die Kosten des Umzugs nach Berlin", "find den Fehler im Parser", "wähl den günstigsten Flug", "bewerte jeden Aufsatz nach Klarheit",
     "fass das Besprechungsprotokoll zusammen", "erklär, warum der Build fehlschlägt"],
    ["{}.", "Bitte {}.", "Jetzt {}.", "Danach {}.", "Als Nächstes: {}."], 55))
add(L, "task", "role_with_facts", ["Du bist der Bereitschaftsingenieur der Zahlungs-API; die Latenz liegt bei 4 s.", "Du bist der Support unseres Shops, und der Kunde wurde doppelt belastet.",
    "Du bist IT-Verantwortlicher im Büro Köln; das VPN ist seit 9 Uhr down.", "Du bist die Schulsekretärin, und der Busfahrplan hat sich am Montag geändert."])
add(L, "task", "audience_voice", ["Erklär es wie einem zehnjährigen Kind.", "Antworte mit Piratenstimme.", "Sprich wie ein freundlicher Förster.",
    "Bleib der Ladenbesitzer und begrüß den nächsten Kunden.", "Bleib in der Rolle des Wirts und sag mir, was du den Wachen sagst.", "Schreib es für Pflegekräfte.",
    "Nimm den Ton eines Sportkommentators an.", "Spiel den Personaler; ich bin Bewerber als Junior-Entwickler.", "Spiel weiter den Stadtführer, bis wir am Hafen sind."])
add(L, "task", "question", ["Welcher Kredit ist nach zehn Jahren günstiger?", "Wie viele Werktage hat der März 2026?", "Warum fällt mein Kuchen zusammen?",
    "Welche Komplexität hat diese Schleife?", "Ist 2027 ein Schaltjahr?", "Wie viel Farbe brauche ich für eine Wand von 4 mal 5 Metern?"])
add(L, "task", "fact", ["Das Budget liegt bei 40.000 €.", "Wir haben drei Ingenieure und zwei Wochen.", "Der Kunde sitzt in Osaka.", "Die Preise enthalten 19 % MwSt.",
    "Die Daten haben 12.000 Zeilen.", "Der Bericht ist Freitag fällig.", "Den Server habe ich schon neu gestartet."])

# ---------- code-switching: an English directive inside another language ----------
for L, tails in [("ja", ["で考えてね。", "でいこう。", "で進めて。"]), ("zh", ["吧。", "一下。", "好吗？"]),
                 ("ko", ["로 부탁해.", "로 해 줘.", "로 가자.", "로 생각해."]), ("es", [", porfa.", " y luego respondes.", ", ¿vale?"]),
                 ("fr", [", stp.", " et ensuite réponds.", ", d'accord ?"]), ("de", [", bitte.", " und dann antworte.", ", ok?"])]:
    add(L, "directive", "step_by_step", wrap(["Think step by step", "Let's think step by step", "step by step", "Take a deep breath",
                                              "Think carefully", "Chain of thought"], tails, 16, latin=False))

# ---------- more task sentences: facts, situations, requests, constraints, formats ----------
# (and a few more directive forms: confidence ratings, verification, alternative approaches)
FACTS = {
    "en": (["Our booking widget", "The nightly backup", "The new printer", "My landlord", "The payroll script", "Our staging cluster",
            "The team in Madrid", "The sensor on line 3", "My daughter's school", "The API gateway", "Our biggest client", "The old laptop"],
           ["restarts itself twice a week", "stopped working after the update", "charges a 5% fee",
            "sends two invoices a month", "runs on Python 3.8", "only has 8 GB of RAM", "needs the report by Monday",
            "moved to a new office in May", "returns a 502 error about once an hour", "was installed in 2019", "uses UTC timestamps",
            "has no budget left this quarter"], "{} {}."),
    "de": (["Unser Buchungs-Widget", "Das nächtliche Backup", "Der neue Drucker", "Mein Vermieter", "Das Gehaltsskript", "Unser Staging-Cluster",
            "Das Team in Hamburg", "Der Sensor an Linie 3", "Die Schule meiner Tochter", "Das API-Gateway", "Unser größter Kunde", "Der alte Laptop"],
           ["startet sich zweimal pro Woche neu", "funktioniert seit dem Update nicht mehr", "verlangt 5 % Gebühr",
            "schickt zwei Rechnungen im Monat", "läuft auf Python 3.8", "hat nur 8 GB RAM", "braucht den Bericht bis Montag",
            "ist im Mai in ein neues Büro gezogen", "liefert etwa stündlich einen 502-Fehler", "wurde 2019 installiert", "nutzt UTC-Zeitstempel",
            "hat dieses Quartal kein Budget mehr"], "{} {}."),
    "es": (["Nuestro widget de reservas", "La copia de seguridad nocturna", "La impresora nueva", "Mi casero", "El script de nóminas", "Nuestro clúster de pruebas",
            "El equipo de Valencia", "El sensor de la línea 3", "El colegio de mi hija", "La pasarela de la API", "Nuestro mayor cliente", "El portátil viejo"],
           ["se reinicia solo dos veces por semana", "dejó de funcionar tras la actualización", "cobra una comisión del 5 %",
            "manda dos facturas al mes", "corre en Python 3.8", "solo tiene 8 GB de RAM", "necesita el informe para el lunes",
            "se mudó a una oficina nueva en mayo", "devuelve un error 502 cada hora más o menos", "se instaló en 2019", "usa marcas de tiempo UTC",
            "no tiene presupuesto este trimestre"], "{} {}."),
    "fr": (["Notre widget de réservation", "La sauvegarde nocturne", "La nouvelle imprimante", "Mon propriétaire", "Le script de paie", "Notre cluster de test",
            "L'équipe de Nantes", "Le capteur de la ligne 3", "L'école de ma fille", "La passerelle API", "Notre plus gros client", "Le vieux portable"],
           ["redémarre tout seul deux fois par semaine", "ne marche plus depuis la mise à jour", "prend 5 % de frais",
            "envoie deux factures par mois", "tourne sous Python 3.8", "n'a que 8 Go de RAM", "a besoin du rapport pour lundi",
            "a déménagé dans de nouveaux bureaux en mai", "renvoie une erreur 502 environ toutes les heures", "a été installé en 2019", "utilise des horodatages UTC",
            "n'a plus de budget ce trimestre"], "{} {}."),
    "ko": (["우리 예약 위젯은", "야간 백업이", "새 프린터가", "집주인이", "급여 스크립트가", "스테이징 클러스터는", "부산 팀은", "3번 라인 센서가",
            "딸아이 학교는", "API 게이트웨이가", "가장 큰 고객사는", "오래된 노트북은"],
           ["일주일에 두 번 저절로 재시작돼", "업데이트 후 작동하지 않아", "수수료를 5% 받아", "한 달에 청구서를 두 번 보내", "파이썬 3.8에서 돌아가",
            "램이 8GB밖에 없어", "월요일까지 보고서가 필요해", "5월에 새 사무실로 옮겼어", "한 시간에 한 번쯤 502 오류를 내", "2019년에 설치됐어",
            "UTC 시간을 써", "이번 분기 예산이 없어"], "{} {}."),
    "ja": (["うちの予約ウィジェットは", "夜間バックアップが", "新しいプリンターが", "大家さんが", "給与スクリプトが", "ステージング環境は", "福岡のチームは",
            "3番ラインのセンサーが", "娘の学校は", "APIゲートウェイが", "一番大きな顧客は", "古いノートPCは"],
           ["週に2回勝手に再起動します", "アップデート後に動かなくなりました", "手数料を5%取ります", "月に2回請求書を送ってきます",
            "Python 3.8で動いています", "メモリが8GBしかありません", "月曜までにレポートが必要です", "5月に新しいオフィスへ移りました",
            "1時間に1回ほど502エラーを返します", "2019年に導入されました", "UTCのタイムスタンプを使っています", "今四半期は予算がありません"], "{}{}"),
    "zh": (["我们的预订组件", "夜间备份", "新打印机", "我的房东", "工资脚本", "我们的测试集群", "深圳团队", "3号线的传感器", "我女儿的学校",
            "API网关", "我们最大的客户", "那台旧笔记本"],
           ["每周自己重启两次", "更新后就不能用了", "收取5%的手续费", "每月寄两张账单", "运行在Python 3.8上", "只有8GB内存",
            "周一前需要报告", "五月搬到了新办公室", "大约每小时返回一次502错误", "是2019年装的", "用的是UTC时间戳", "这个季度没有预算了"], "{}{}。"),
}
for L, (subj, pred, fmt) in FACTS.items():
    add(L, "task", "fact", [fmt.format(a, b) for a, b in rng.sample(list(itertools.product(subj, pred)), 45)])

SITU = {
    "en": ["The printer is shared by four offices.", "We can't change the database schema.", "I'm on a Mac with an M2 chip.",
           "There is no internet access on the factory floor.", "My partner is vegetarian.", "The deadline moved to next Tuesday.",
           "I don't have admin rights on this machine.", "The contract ends in June.", "Last time the fix took three days.", "Nobody on the team speaks German."],
    "de": ["Den Drucker teilen sich vier Büros.", "Das Datenbankschema dürfen wir nicht ändern.", "Ich arbeite auf einem Mac mit M2-Chip.",
           "In der Werkhalle gibt es kein Internet.", "Meine Partnerin ist Vegetarierin.", "Die Frist wurde auf nächsten Dienstag verschoben.",
           "Ich habe auf diesem Rechner keine Adminrechte.", "Der Vertrag endet im Juni.", "Letztes Mal hat die Reparatur drei Tage gedauert.", "Niemand im Team spricht Spanisch."],
    "es": ["Cuatro oficinas comparten la impresora.", "No podemos cambiar el esquema de la base de datos.", "Uso un Mac con chip M2.",
           "En la nave no hay internet.", "Mi pareja es vegetariana.", "La fecha límite pasó al martes que viene.",
           "No tengo permisos de administrador en este equipo.", "El contrato acaba en junio.", "La última vez el arreglo tardó tres días.", "Nadie del equipo habla alemán."],
    "fr": ["Quatre bureaux partagent l'imprimante.", "On ne peut pas modifier le schéma de la base.", "Je suis sur un Mac avec une puce M2.",
           "Il n'y a pas d'internet dans l'atelier.", "Ma compagne est végétarienne.", "L'échéance est repoussée à mardi prochain.",
           "Je n'ai pas les droits admin sur cette machine.", "Le contrat se termine en juin.", "La dernière fois, la réparation a pris trois jours.", "Personne dans l'équipe ne parle allemand."],
    "ko": ["프린터 한 대를 네 사무실이 같이 써.", "데이터베이스 스키마는 바꿀 수 없어요.", "M2 칩 맥을 쓰고 있어.", "공장 현장에는 인터넷이 없어요.",
           "배우자가 채식주의자야.", "마감이 다음 주 화요일로 미뤄졌어.", "이 컴퓨터에 관리자 권한이 없어.", "계약은 6월에 끝나.", "지난번엔 수리에 사흘 걸렸어.", "팀에 독일어 하는 사람이 없어."],
    "ja": ["プリンターは4つの部署で共用しています。", "データベースのスキーマは変更できません。", "M2チップのMacを使っています。",
           "工場の現場にはネットがありません。", "パートナーはベジタリアンです。", "締め切りが来週の火曜に延びました。",
           "このPCには管理者権限がありません。", "契約は6月で終わります。", "前回は修理に3日かかりました。", "チームにドイツ語を話せる人はいません。"],
    "zh": ["四个办公室共用一台打印机。", "数据库结构不能改。", "我用的是M2芯片的Mac。", "车间里没有网络。", "我对象吃素。", "截止日期推到了下周二。",
           "这台电脑我没有管理员权限。", "合同六月到期。", "上次修了三天。", "团队里没人会说德语。"],
}
for L, xs in SITU.items():
    add(L, "task", "fact", xs)

ASK = {
    "en": (["tell me which", "let me know which", "say which", "point out which", "figure out which", "find out which"],
           ["survey question is leading", "supplier is cheapest overall", "test is failing and why", "option fits our budget",
            "sentence sounds most formal", "plan has fewer risks", "city is closer to the coast"], "{} {}."),
    "de": (["sag mir, welches", "erklär mir, welches", "finde heraus, welches", "zeig mir, welches", "nenn mir das", "überleg, welches"],
           ["Umfragefrage suggestiv ist", "Angebot insgesamt am günstigsten ist", "Modul den Fehler auslöst", "Konzept ins Budget passt",
            "Verfahren schneller ist", "Szenario die wenigsten Risiken hat", "Format der Kunde erwartet"], "{} {}."),
    "es": (["dime qué", "explícame qué", "averigua qué", "indícame qué", "señala qué", "dime cuál es el"],
           ["pregunta de la encuesta es tendenciosa", "proveedor sale más barato", "módulo provoca el fallo", "plan encaja en el presupuesto",
            "método es más rápido", "escenario tiene menos riesgos", "formato espera el cliente"], "{} {}."),
    "fr": (["dis-moi quelle", "explique-moi quelle", "trouve quelle", "indique-moi quelle", "précise quelle", "dis-moi laquelle de ces"],
           ["question du sondage est orientée", "offre revient le moins cher", "étape déclenche l'erreur", "option rentre dans le budget",
            "méthode est la plus rapide", "solution comporte le moins de risques", "version le client attend"], "{} {}."),
    "ko": (["설문 문항 중 어느 것이 유도 질문인지", "어느 업체가 제일 싼지", "어떤 모듈이 오류를 내는지", "어떤 안이 예산에 맞는지",
            "어느 방법이 더 빠른지", "어느 시나리오가 위험이 적은지", "고객이 어떤 형식을 원하는지"],
           ["알려 줘.", "말해 줘.", "찾아 줘.", "정리해 줘.", "알려 주세요."], "{} {}"),
    "ja": (["どの設問が誘導的か", "どの業者が一番安いか", "どのモジュールがエラーを起こしているか", "どの案が予算に収まるか",
            "どの方法が速いか", "どのシナリオがリスクが少ないか", "顧客がどの形式を求めているか"],
           ["教えて。", "教えてください。", "調べて。", "まとめてください。", "一覧にして。"], "{}{}"),
    "zh": (["告诉我哪道问卷题有诱导性", "告诉我哪家供应商最便宜", "找出是哪个模块报错", "看看哪个方案符合预算",
            "说说哪种方法更快", "判断哪个场景风险最小", "告诉我客户要什么格式"],
           ["。", "吧。", "，谢谢。", "。尽量简短。"], "{}{}"),
}
for L, (a, b, fmt) in ASK.items():
    add(L, "task", "goal", [fmt.format(x, y) for x, y in rng.sample(list(itertools.product(a, b)), min(30, len(a) * len(b)))])

CONSTR = {
    "en": ["Address readers by their title.", "Spell it the American way.", "Use the customer's first name.", "Never promise a delivery date.",
           "Keep every answer under 100 words.", "Don't use bullet points.", "Write numbers as digits.", "Mention the refund policy only if asked.",
           "Always answer in the user's language.", "Avoid medical advice.", "Use a warm but professional tone.", "Sign off as 'The Support Team'."],
    "de": ["Sprich Leser mit ihrem Titel an.", "Schreib in österreichischem Deutsch.", "Antworte auf Schweizerdeutsch, aber schriftlich.", "Nenn nie ein Lieferdatum.",
           "Jede Antwort unter 100 Wörtern.", "Keine Aufzählungspunkte.", "Zahlen bitte als Ziffern.", "Erwähne die Rückgaberegel nur auf Nachfrage.",
           "Antworte immer in der Sprache des Nutzers.", "Keine medizinischen Ratschläge.", "Freundlich, aber sachlich bleiben.", "Unterschreib mit „Dein Support-Team“."],
    "es": ["Llama a cada lector por su cargo.", "Con ortografía de Argentina.", "Usa español de México.", "Nunca prometas una fecha de entrega.", "Cada respuesta, menos de 100 palabras.",
           "Sin viñetas.", "Escribe los números con cifras.", "Menciona la política de devoluciones solo si preguntan.", "Contesta siempre en el idioma del usuario.",
           "Nada de consejos médicos.", "Tono cercano pero profesional.", "Firma como «El equipo de soporte»."],
    "fr": ["Appelle chaque lecteur par son titre.", "Orthographe belge, s'il te plaît.", "Écris en français du Québec.", "Ne promets jamais de date de livraison.",
           "Chaque réponse en moins de 100 mots.", "Pas de puces.", "Écris les nombres en chiffres.", "Ne parle du remboursement que si on le demande.",
           "Réponds toujours dans la langue de l'utilisateur.", "Pas de conseils médicaux.", "Ton chaleureux mais professionnel.", "Signe « L'équipe support »."],
    "ko": ["독자를 직함으로 불러.", "표준어 맞춤법을 지켜.", "고객 이름을 불러 줘.", "배송 날짜는 절대 약속하지 마.", "답은 100단어 이내로.", "글머리표는 쓰지 마.",
           "숫자는 아라비아 숫자로 써.", "환불 정책은 물어볼 때만 말해.", "항상 사용자의 언어로 답해.", "의료 조언은 하지 마.", "따뜻하지만 전문적인 말투로.", "서명은 '고객지원팀'으로."],
    "ja": ["読み手は役職名で呼んで。", "表記は常用漢字に合わせて。", "お客様の名前で呼びかけて。", "配送日は約束しないで。", "回答は100語以内で。", "箇条書きは使わないで。",
           "数字は算用数字で書いて。", "返金ポリシーは聞かれた時だけ伝えて。", "常にユーザーの言語で答えて。", "医療アドバイスはしないで。", "温かく、でも丁寧な口調で。", "署名は「サポートチーム」で。"],
    "zh": ["用职务称呼读者。", "一律用简体字。", "称呼客户的名字。", "绝不承诺发货日期。", "每个回答不超过100字。", "不要用项目符号。", "数字用阿拉伯数字写。",
           "只有被问到时才提退款政策。", "始终用用户的语言回答。", "不要给医疗建议。", "语气亲切但专业。", "署名为“客服团队”。"],
}
for L, xs in CONSTR.items():
    add(L, "task", "constraint", xs)

META = {
    "en": ["Our old prompt told the model it was a senior lawyer.", "The template starts with 'think step by step'.",
           "Tell me whether adding 'you are an expert' to a prompt helps.", "Does offering the model a tip change its answers?",
           "Should our style guide ask writers to double-check their facts?", "The checklist says every analyst must verify sources twice."],
    "de": ["Unser alter Prompt sagte dem Modell, es sei ein Senior-Anwalt.", "Die Vorlage beginnt mit „Denk Schritt für Schritt“.",
           "Hilft es, einem Prompt „Du bist Experte“ voranzustellen?", "Ändert ein versprochenes Trinkgeld die Antworten des Modells?",
           "Laut Checkliste muss jede Analystin ihre Quellen zweimal prüfen."],
    "es": ["Nuestro prompt antiguo le decía al modelo que era un abogado sénior.", "La plantilla empieza con «piensa paso a paso».",
           "¿Sirve de algo poner «eres un experto» en un prompt?", "¿Cambia las respuestas ofrecerle propina al modelo?",
           "La guía dice que cada analista debe verificar las fuentes dos veces."],
    "fr": ["Notre ancien prompt disait au modèle qu'il était avocat senior.", "Le modèle de prompt commence par « réfléchis étape par étape ».",
           "Est-ce utile d'écrire « tu es un expert » dans un prompt ?", "Promettre un pourboire au modèle change-t-il ses réponses ?",
           "La checklist impose à chaque analyste de vérifier ses sources deux fois."],
    "ko": ["예전 프롬프트는 모델에게 시니어 변호사라고 말했어.", "템플릿이 '단계별로 생각해'로 시작해.", "프롬프트에 '너는 전문가야'를 넣으면 도움이 돼?",
           "모델에게 팁을 준다고 하면 답이 달라져?", "체크리스트상 모든 분석가는 출처를 두 번 확인해야 해."],
    "ja": ["以前のプロンプトではモデルにシニア弁護士だと伝えていました。", "テンプレートは「ステップバイステップで考えて」で始まります。",
           "プロンプトに「あなたは専門家です」と書くと効果がありますか？", "モデルにチップを約束すると回答は変わりますか？", "チェックリストでは分析担当者が出典を二回確認することになっています。"],
    "zh": ["我们以前的提示词告诉模型它是资深律师。", "模板开头写着“一步一步地思考”。", "在提示词里写“你是专家”有用吗？", "答应给模型小费会改变它的回答吗？",
           "按照清单，每位分析师都要把来源核对两遍。"],
}
for L, xs in META.items():
    add(L, "task", "meta_talk_about_prompts", xs)

# More directive forms: confidence, verification in steps, alternatives.
MOREDIR = {
    "en": ["Give a confidence percentage with your reasoning.",
           "Go back over your solution and confirm each step.",
           "Brainstorm three strategies and compare them before picking.",
           "Estimate your own certainty before you conclude.", "Re-verify your result one more time before replying.",
           "Cross-check your answer using a second method.", "Sanity-check the numbers before you finish."],
    "de": ["Gib zu deiner Überlegung eine Sicherheit in Prozent an.",
           "Geh deine Lösung noch einmal durch und bestätige jeden Schritt.",
           "Sammle drei Strategien und vergleiche sie, bevor du wählst.",
           "Schätz deine eigene Sicherheit ein, bevor du schließt.", "Prüf dein Ergebnis vor dem Antworten noch einmal.",
           "Kontrollier deine Antwort mit einer zweiten Methode.", "Mach vor dem Abschluss einen Plausibilitätscheck der Zahlen."],
    "es": ["Indica un porcentaje de confianza junto a tu razonamiento.",
           "Repasa tu solución y confirma cada paso.",
           "Piensa tres estrategias y compáralas antes de escoger.",
           "Estima tu propia certeza antes de concluir.", "Vuelve a verificar el resultado antes de contestar.",
           "Contrasta tu respuesta con un segundo método.", "Haz una comprobación de cordura de las cifras antes de terminar."],
    "fr": ["Donne un pourcentage de confiance avec ton raisonnement.",
           "Repasse sur ta solution et confirme chaque étape.",
           "Trouve trois stratégies et compare-les avant de choisir.",
           "Estime ta propre certitude avant de conclure.", "Revérifie ton résultat avant de répondre.",
           "Recoupe ta réponse avec une deuxième méthode.", "Fais un contrôle de cohérence des chiffres avant de finir."],
    "ko": ["추론과 함께 확신도를 퍼센트로 적어 줘.", "풀이를 다시 훑어보면서 각 단계를 확인해.", "전략 세 가지를 생각해서 비교한 뒤 골라.",
           "결론 내기 전에 스스로 확신도를 평가해.", "답하기 전에 결과를 한 번 더 검증해.", "다른 방법으로 답을 교차 검증해.", "끝내기 전에 숫자가 말이 되는지 점검해."],
    "ja": ["推論と一緒に確信度をパーセントで書いて。", "解答を見直して各ステップを確認して。", "戦略を三つ考えて比較してから選んで。",
           "結論の前に自分の確信度を見積もって。", "回答前に結果をもう一度検証して。", "別の方法で答えをクロスチェックして。", "終える前に数字の妥当性を確かめて。"],
    "zh": ["在推理旁边写上你的把握百分比。", "把解法再过一遍，确认每一步。",
           "想三种策略，比较之后再选。", "下结论前先评估自己的把握。", "回答前再验证一次结果。", "用另一种方法交叉检验答案。",
           "结束前检查一下数字是否合理。"],
}
for L, xs in MOREDIR.items():
    add(L, "directive", "procedure", xs)

# Task sentences that name tags for the answer (output format), joined to other output parts.
TAGTASK = {
    "en": ["Give a one-line summary in <summary></summary> and the final answer in <answer></answer>.", "Return the SQL in <sql> tags and the row count in <count> tags.",
           "and the total in <total></total>.", "then the verdict in <verdict></verdict>."],
    "de": ["Gib eine Zusammenfassung in <zusammenfassung></zusammenfassung> und das Ergebnis in <ergebnis></ergebnis>.", "und die Summe in <summe></summe>.",
           "dann das Urteil in <urteil></urteil>."],
    "es": ["Da un resumen en <resumen></resumen> y el resultado en <resultado></resultado>.", "y el total entre <total></total>.", "luego el veredicto en <veredicto></veredicto>."],
    "fr": ["Donne un résumé dans <resume></resume> et le résultat dans <resultat></resultat>.", "et le total dans <total></total>.", "puis le verdict dans <verdict></verdict>."],
    "ko": ["요약은 <요약></요약>에, 결과는 <결과></결과>에 넣어 줘.", "합계는 <합계> 태그로 감싸.", "판정은 <판정></판정>에 써 줘."],
    "ja": ["要約は<要約></要約>に、結果は<結果></結果>に入れてください。", "合計は<合計>タグで囲んで。", "判定は<判定></判定>に書いて。"],
    "zh": ["摘要放在<摘要></摘要>里，结果放在<结果></结果>里。", "合计用<合计>标签包起来。", "结论写在<结论></结论>中。"],
}
for L, xs in TAGTASK.items():
    add(L, "task", "output_format", xs)

# The user describing themself (a fact, not a persona for the model).
SELF = {
    "en": (["I'm a nurse", "I am a freelance designer", "I'm a first-year teacher", "I am a retired engineer", "I'm a small landlord", "I'm a student"],
           ["with two kids and night shifts", "with a dog and a small garden", "with a 30-minute commute", "with one flat to rent out",
            "with a part-time job on weekends", "with no savings yet"], "{} {}."),
    "fr": (["Je suis infirmière", "Je suis graphiste indépendant", "Je suis prof en première année", "Je suis ingénieur à la retraite",
            "Je suis petit propriétaire bailleur", "Je suis étudiante"],
           ["avec deux enfants et des gardes de nuit", "avec un chien et un petit jardin", "avec une heure de trajet par jour",
            "avec un seul appartement en location", "avec un job le week-end", "sans épargne pour l'instant"], "{} {}."),
    "de": (["Ich bin Krankenpflegerin", "Ich bin freiberuflicher Grafiker", "Ich bin Lehrer im ersten Jahr", "Ich bin Ingenieur im Ruhestand",
            "Ich bin Kleinvermieterin", "Ich bin Student"],
           ["mit zwei Kindern und Nachtschichten", "mit Hund und kleinem Garten", "mit einer Stunde Pendelweg", "mit einer vermieteten Wohnung",
            "mit einem Nebenjob am Wochenende", "ohne Ersparnisse"], "{} {}."),
    "es": (["Soy enfermera", "Soy diseñador autónomo", "Soy profesor novato", "Soy ingeniero jubilado", "Soy pequeña arrendadora", "Soy estudiante"],
           ["con dos hijos y turnos de noche", "con un perro y un jardín pequeño", "con una hora de trayecto diario", "con un piso en alquiler",
            "con un trabajo de fin de semana", "sin ahorros todavía"], "{} {}."),
    "ko": (["저는 간호사이고", "저는 프리랜서 디자이너이고", "저는 신입 교사이고", "저는 은퇴한 엔지니어이고", "저는 소형 임대인이고", "저는 대학생이고"],
           ["아이가 둘이에요.", "강아지 한 마리를 키워요.", "통근에 한 시간 걸려요.", "집 한 채를 세놓고 있어요.", "주말에 아르바이트를 해요.", "아직 저축이 없어요."], "{} {}"),
    "ja": (["私は看護師で、", "私はフリーランスのデザイナーで、", "私は新任の教師で、", "私は定年退職したエンジニアで、", "私は小さな大家で、", "私は学生で、"],
           ["子どもが二人います。", "犬を一匹飼っています。", "通勤に1時間かかります。", "部屋を一つ貸しています。", "週末にバイトしています。", "貯金はまだありません。"], "{}{}"),
    "zh": (["我是护士，", "我是自由设计师，", "我是新老师，", "我是退休工程师，", "我是个小房东，", "我是学生，"],
           ["有两个孩子。", "养了一条狗。", "通勤要一小时。", "出租一套公寓。", "周末打工。", "还没有存款。"], "{}{}"),
}
for L, (a, b, fmt) in SELF.items():
    add(L, "task", "fact", [fmt.format(x, y) for x, y in rng.sample(list(itertools.product(a, b)), 20)])

# Thinking before answering, said in one breath: the whole sentence is the directive.
add("ja", "directive", "think_hard", wrap(["しっかり考えてから", "十分に考えてから", "慎重に検討してから", "落ち着いて考えてから", "深く考えてから", "一度整理してから"],
    ["答えてください。", "答えて。", "回答してください。", "返事をして。", "回答して。"], 25, latin=False))
add("zh", "directive", "think_hard", wrap(["想清楚", "认真想好", "仔细考虑之后", "深思之后", "好好琢磨后"], ["再回答。", "再答。", "再给答案。", "再回复我。"], 18, latin=False))
add("ko", "directive", "think_hard", wrap(["충분히 생각한 다음에", "깊이 고민한 후에", "신중히 따져 본 뒤에", "곰곰이 생각하고 나서"], ["답해 줘.", "대답해.", "답변해 주세요.", "답해."], 14, latin=False))

# Decontamination: drop any sentence that shares half its character trigrams with a span of the
# evaluation files (these files are read only for this check).
def _grams(t):
    t = " " + t.lower() + " "
    return {t[i:i + 3] for i in range(len(t) - 2)}


_eval = []
for _f in ["data/rewrite/eval.jsonl", "data/rewrite/eval_blind.jsonl"]:
    for _l in open(_f, encoding="utf-8"):
        _d = json.loads(_l)
        _eval += [_grams(x) for x in _d["must_drop"] + _d["must_keep"]]
out = [o for o in out if all(len(g & e) * 2 < len(g | e) for g in [_grams(o["text"])] for e in _eval)]

with open("data/rewrite/sentences_more.jsonl", "w", encoding="utf-8") as f:
    for o in out:
        f.write(json.dumps(o, ensure_ascii=False) + "\n")
print(len(out))
