# Independently written held-out set (NOT used for training). Part A: English, Korean, Japanese.
LOG_H = "\n".join(
    [f"[2025-02-0{d} 0{h}:1{h}:0{d}] worker-{h} job=invoice-export status=ok rows={1000 + d * 37 + h}" for d in range(1, 8) for h in range(1, 9)]
    + ["[2025-02-07 08:44:12] worker-3 job=invoice-export status=FAILED err=\"deadlock detected while waiting for ShareLock on transaction 88123\"",
       "[2025-02-07 08:44:13] worker-5 job=invoice-export status=FAILED err=\"deadlock detected while waiting for ShareLock on transaction 88124\"",
       "[2025-02-07 08:45:01] scheduler retry storm: 40 jobs requeued within 2s"])

POLICY_H = """Remote Work Policy (draft v3)
1. Employees may work remotely up to three days per week. Team leads may approve additional remote days in exceptional cases.
2. All employees must be in the office on Tuesdays and Thursdays.
3. Employees in the support team must be available on site at least four days per week.
4. Remote work from abroad is allowed for up to 30 days per year, subject to HR approval, and never more than 10 consecutive working days.
5. Equipment: the company provides a laptop; monitors and chairs for home offices are reimbursed up to 300 EUR once every three years.
6. Part-time employees follow the same rules pro rata, but must still be in the office on both Tuesday and Thursday."""

NOVEL_H = """Chapter 3
The rain had not stoped for three days when Elena finaly reached the lighthouse. She pushed the heavy door and climbed the stairs, counting each step as her grandfather used to do. At the top, the old lamp was still there, covered in dust, and beside it lay a notebook with a red cover. She opened it careful. The first page said only: "For whoever comes back." Outside, the waves crashed against the rocks, and for the first time in years Elena felt that she was exactly where she was supposed to be."""

GRADES_CSV = "student,hw1,hw2,midterm,hw3,final\n" + "\n".join(
    f"s{i:02d},{60 + (i * 7) % 40},{55 + (i * 11) % 45},{50 + (i * 13) % 50},{58 + (i * 5) % 42},{45 + (i * 17) % 55}" for i in range(1, 41))

CODE_H_PY = """def chunk(items, size):
    out = []
    for i in range(0, len(items), size):
        out.append(items[i:i + size])
    return out"""

CODE_H_GO = """func (s *Store) Get(key string) (string, bool) {
    s.mu.RLock()
    v, ok := s.data[key]
    if !ok {
        s.mu.Lock()
        v = s.load(key)
        s.data[key] = v
        s.mu.Unlock()
    }
    s.mu.RUnlock()
    return v, ok
}"""

GO_HANG = """goroutine 18 [sync.RWMutex.Lock]:
sync.runtime_SemacquireRWMutex(0xc0000a2018, 0x0, 0x0)
sync.(*RWMutex).Lock(0xc0000a2010)
main.(*Store).Get(0xc0000a2000, {0x4b2f21, 0x3})
	/app/store.go:14 +0x9c
fatal error: all goroutines are asleep - deadlock!"""

TS_ERR = """src/api/user.ts:42:17 - error TS2345: Argument of type 'string | undefined' is not assignable to parameter of type 'string'.
  Type 'undefined' is not assignable to type 'string'.

42   return getUser(req.params.id);"""

MENU_KO = """[점심 메뉴]
김치찌개 8,000원
된장찌개 8,000원
제육볶음 9,500원
비빔밥 9,000원
돈까스 10,000원
음료: 콜라/사이다 2,000원"""

REPORT_KO = """2024년 하반기 고객 불만 접수 현황
7월: 배송 지연 120건, 제품 불량 45건, 환불 지연 30건
8월: 배송 지연 180건, 제품 불량 40건, 환불 지연 55건
9월: 배송 지연 260건, 제품 불량 42건, 환불 지연 90건
10월: 배송 지연 150건, 제품 불량 38건, 환불 지연 140건
11월: 배송 지연 140건, 제품 불량 120건, 환불 지연 160건
비고: 8월에 물류 업체 변경, 10월에 환불 시스템 개편, 11월에 신규 공장 가동 시작"""

NOTICE_JA = """【お知らせ】
いつも当マンションをご利用いただきありがとうございます。来週の月曜日から水曜日まで、エレベーターの定期点検を行います。点検中は1基のみの運転となりますので、ご不便をおかけしますがご協力をお願いいたします。なお、点検時間は午前9時から午後5時までの予定です。
管理組合"""

SURVEY_JA = """社員満足度調査の結果(5点満点)
部署     2022  2023  2024  回答率
営業     3.8   3.6   3.1   92%
開発     3.5   3.7   3.9   64%
サポート 3.9   3.4   2.8   95%
総務     4.0   4.0   4.1   40%
自由記述の多かった意見:残業の増加(営業・サポート)、評価制度が不透明(全部署)"""

def H(lang, label, text, sys=None, hist=None, tools=None, rf=None, effort=None):
    return dict(lang=lang, label=label, text=text, sys=sys, hist=hist, tools=tools, rf=rf, effort=effort)

TOOL_CAL = [{"type": "function", "function": {"name": "create_event", "description": "Create a calendar event", "parameters": {"type": "object", "properties": {"title": {"type": "string"}, "start": {"type": "string"}}}}}]
TOOL_SQL = [{"type": "function", "function": {"name": "query_db", "description": "Run a read-only SQL query on the analytics warehouse", "parameters": {"type": "object", "properties": {"sql": {"type": "string"}}}}}]
JSON = {"type": "json_object"}

ITEMS = [
    # ---------------- English ----------------
    H("en", "chat", "yo what's up"),
    H("en", "chat", "How many ounces in a cup?"),
    H("en", "chat", "What's 18% of 65 dollars? quick"),
    H("en", "chat", "Can you suggest a name for my new golden retriever puppy?"),
    H("en", "chat", "Please fix the typos in this chapter, nothing else:\n\n" + NOVEL_H),
    H("en", "chat", "Translate this policy into German for our Berlin office.\n\n" + POLICY_H),
    H("en", "chat", "Convert this CSV to a markdown table:\n" + GRADES_CSV),
    H("en", "chat", "How do I make a Python dict from two lists?"),
    H("en", "chat", "Write a two-sentence thank-you note to my neighbour for watering my plants."),
    H("en", "chat", "Remind me tomorrow at 9 to call the dentist", tools=TOOL_CAL),
    H("en", "chat", "Extract the author name and year as JSON: 'The Silent Coast, written by Mara Ellison in 1987, won two awards.'", rf=JSON),
    H("en", "chat", "You're my Spanish conversation partner. Let's talk about food! ¿Qué te gusta comer?", sys="You are a friendly language exchange partner."),
    H("en", "chat", "ok that makes sense, thanks!", hist=[{"role": "user", "content": "Why is the expected number of flips for HH equal to 6? Derive it."}, {"role": "assistant", "content": "Let E be the expected number... E = 1/2(1+E) + 1/4(2+E) + 1/4*2, so E = 6."}]),
    H("en", "chat", "What does `git stash pop` do?"),
    H("en", "chat", "Give me a catchy slogan for a bike repair shop."),
    H("en", "chat", "Summarize this log in one line, I just need to know if anything failed:\n" + LOG_H),
    H("en", "reasoning", "A stick is broken at two uniformly random points. What is the probability the three pieces form a triangle?"),
    H("en", "reasoning", "Prove that for every integer n, n^3 - n is divisible by 6."),
    H("en", "reasoning", "Here's our remote work policy draft. Identify every rule that conflicts with another rule or is ambiguous, and propose corrected wording.\n\n" + POLICY_H),
    H("en", "reasoning", "These are the grades of my class. Find which assignments predict the final exam best, flag students at risk, and explain your method.\n\n" + GRADES_CSV),
    H("en", "reasoning", "Our nightly export started failing. Using this log, work out what's going on and propose a fix that prevents the retry storm.\n\n" + LOG_H),
    H("en", "reasoning", "This Go code deadlocks under load. Explain exactly why and rewrite Get so it is correct and still fast.\n\n```go\n" + CODE_H_GO + "\n```\n\n```\n" + GO_HANG + "\n```"),
    H("en", "reasoning", "Write a function that returns the k most frequent words in a stream too large for memory, and analyze its accuracy/memory trade-off."),
    H("en", "reasoning", "Act as a judge. Compare the two answers below for correctness, completeness and clarity, score each 1-10, and explain.\n\nAnswer A: The derivative of x^x is x*x^(x-1).\nAnswer B: Write x^x = e^{x ln x}; the derivative is x^x (ln x + 1).", sys="You are an impartial evaluator."),
    H("en", "reasoning", "I need to move 3 teams into a new office over 4 weekends. IT must go first, finance can't move during month-end close (last weekend), and sales needs its phones working by Monday each time. Produce a schedule and explain the dependencies."),
    H("en", "reasoning", "Use the warehouse to figure out why revenue per customer dropped last quarter: plan the queries you'll run, what each would tell you, and how you'd decide between churn and downgrade explanations.", tools=TOOL_SQL),
    H("en", "reasoning", "What is the smallest positive integer that leaves remainder 2 when divided by 3, 4, 5 and 6, and remainder 0 when divided by 7?"),
    H("en", "reasoning", "Now generalize your chunk function to work lazily over any iterator and prove it never drops or duplicates elements.", hist=[{"role": "user", "content": "write a python function to split a list into chunks"}, {"role": "assistant", "content": "```python\n" + CODE_H_PY + "\n```"}]),
    H("en", "reasoning", "Fix this TypeScript error properly (not with a non-null assertion) and explain what runtime bug the compiler is protecting us from.\n\n" + TS_ERR, effort="high"),
    H("en", "reasoning", "Write a literature-review style report on the effectiveness of four-day work weeks: sections on productivity, wellbeing, methodology problems in the trials, and open questions."),
    # ---------------- Korean ----------------
    H("ko", "chat", "ㅎㅇ 뭐해?"),
    H("ko", "chat", "만 오천 원짜리 세 개 사면 얼마야?"),
    H("ko", "chat", "이 메뉴판 영어로 번역해 줘.\n\n" + MENU_KO),
    H("ko", "chat", "다음 보고서를 두 줄로 간단히 요약해 줘.\n\n" + REPORT_KO),
    H("ko", "chat", "자바스크립트에서 배열 길이는 어떻게 구해?"),
    H("ko", "chat", "내일 서울 날씨 어때?", tools=[{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}]),
    H("ko", "chat", "생일 축하 문자 짧게 하나 써 줘. 친한 친구한테 보낼 거야"),
    H("ko", "chat", "환불은 며칠 걸려요?", sys="당신은 온라인 쇼핑몰 상담원입니다."),
    H("ko", "chat", "이 문장에서 이름이랑 전화번호만 JSON으로 뽑아 줘: 홍길동 고객님 연락처는 010-1234-5678입니다.", rf=JSON),
    H("ko", "chat", "응 고마워 ㅎㅎ", hist=[{"role": "user", "content": "이 회의록에서 일정 충돌을 찾아서 계획을 다시 세워줘"}, {"role": "assistant", "content": "충돌은 세 가지입니다. 첫째... 따라서 수정된 일정은 다음과 같습니다..."}]),
    H("ko", "chat", "다음 글 맞춤법 검사해 줘.\n\n오늘은 날씨가 너무 조아서 공원에 산책을 갔다. 공원에는 사람이 만앗고 아이들이 뛰어 놀고 잇었다. 나는 벤치에 안자서 책을 읽엇다."),
    H("ko", "chat", "퇴근하고 뭐 먹을지 추천 좀"),
    H("ko", "chat", "엑셀에서 VLOOKUP 사용법 간단히 알려줘"),
    H("ko", "chat", "1킬로미터는 몇 마일이야?"),
    H("ko", "reasoning", "동전 세 개를 던질 때 앞면이 적어도 두 개 나올 확률을 구하고, 그 결과를 이용해 앞면이 정확히 두 개일 조건부 확률도 구해줘."),
    H("ko", "reasoning", "다음 불만 접수 데이터에서 추세를 분석하고 각 변화의 원인을 비고와 연결해서 설명해 줘. 12월에 무엇을 우선 개선해야 할지도 근거와 함께 제안해 줘.\n\n" + REPORT_KO),
    H("ko", "reasoning", "n이 자연수일 때 1 + 3 + 5 + ... + (2n-1) = n^2 임을 증명해 줘."),
    H("ko", "reasoning", "아래 Go 코드가 부하 상황에서 멈추는 이유를 정확히 설명하고, 올바르면서 빠른 버전으로 고쳐 줘.\n\n```go\n" + CODE_H_GO + "\n```\n\n```\n" + GO_HANG + "\n```"),
    H("ko", "reasoning", "파이썬으로 미로에서 최단 경로를 찾는 프로그램을 작성하고, BFS와 A*의 차이와 시간 복잡도를 비교해 줘."),
    H("ko", "reasoning", "A, B, C, D 네 사람 중 한 명만 진실을 말한다. A: 'B가 범인이다' B: 'D가 범인이다' C: '나는 범인이 아니다' D: 'B는 거짓말을 한다'. 범인은 누구인가?"),
    H("ko", "reasoning", "우리 팀 신입 교육 프로그램을 4주 과정으로 설계해 줘. 선행 과목 관계, 주차별 목표, 평가 방법, 멘토 배정까지 포함해서."),
    H("ko", "reasoning", "다음 두 답변을 정확성, 완전성, 명확성 기준으로 비교 평가하고 각각 10점 만점으로 점수를 매겨 줘.\n답변 A: 지구가 태양에 가까워서 여름이 된다.\n답변 B: 자전축이 기울어져 있어 태양 고도와 일조 시간이 달라지기 때문에 계절이 생긴다."),
    H("ko", "reasoning", "이 근무 규정 초안에서 서로 충돌하거나 모호한 조항을 모두 찾아서 고친 문구를 제안해 줘.\n\n" + POLICY_H),
    H("ko", "reasoning", "연 4.5% 고정금리로 3억을 30년 원리금균등상환할 때 월 상환액과, 10년 후 잔액을 계산 과정과 함께 구해 줘."),
    H("ko", "reasoning", "그럼 이 방법이 항상 최적이라는 걸 증명할 수 있어?", hist=[{"role": "user", "content": "거스름돈을 최소 동전 개수로 주는 방법 알려줘. 동전은 500, 100, 50, 10원"}, {"role": "assistant", "content": "큰 동전부터 최대한 사용하는 그리디 방법을 쓰면 됩니다."}]),
    H("ko", "reasoning", "우리 서비스의 결제 실패율이 지난주부터 2%에서 7%로 올랐어. 원인을 찾기 위한 가설들을 세우고, 각 가설을 검증할 쿼리와 판단 기준을 설계해 줘.", tools=TOOL_SQL),
    # ---------------- Japanese ----------------
    H("ja", "chat", "おはよう!今日も一日がんばろう"),
    H("ja", "chat", "1ドル150円なら、80ドルは何円?"),
    H("ja", "chat", "このお知らせを英語に翻訳してください。\n\n" + NOTICE_JA),
    H("ja", "chat", "この文章の誤字脱字をチェックして。\n\n昨日わ友達と映画を見にいきました。とても面白くて、また見たいとおもいます。帰りにラーメンを食べてかえりました。"),
    H("ja", "chat", "JavaScriptで文字列を数値に変換するには?"),
    H("ja", "chat", "お祝いのメッセージを一言考えて。同僚が結婚するの"),
    H("ja", "chat", "返品の送料は誰が負担しますか?", sys="あなたはECサイトのサポート担当です。"),
    H("ja", "chat", "次の文から会社名と日付をJSONで抜き出して:株式会社ミドリは2024年4月1日に新社屋へ移転しました。", rf=JSON),
    H("ja", "chat", "なるほど、ありがとう!", hist=[{"role": "user", "content": "この関数がO(n log n)になることを証明して"}, {"role": "assistant", "content": "漸化式 T(n) = 2T(n/2) + n を展開すると..."}]),
    H("ja", "chat", "この調査結果を3行でざっくり要約して。\n\n" + SURVEY_JA),
    H("ja", "chat", "富士山の高さは?"),
    H("ja", "chat", "週末に行けそうな関東の温泉をいくつか教えて"),
    H("ja", "chat", "この表をCSV形式に直して。\n\n" + SURVEY_JA),
    H("ja", "chat", "「お疲れ様です」を英語でどう言う?"),
    H("ja", "reasoning", "1から100までの整数から無作為に1つ選ぶとき、3の倍数または5の倍数である確率を求め、その考え方を説明してください。"),
    H("ja", "reasoning", "この社員満足度調査を分析して、部署ごとの傾向と回答率による偏りを考慮した解釈、優先すべき施策を根拠付きで提案してください。\n\n" + SURVEY_JA),
    H("ja", "reasoning", "任意の三角形の内角の和が180度であることを証明してください。"),
    H("ja", "reasoning", "次のGoコードが負荷時にデッドロックする理由を正確に説明し、正しく高速な実装に書き直してください。\n\n```go\n" + CODE_H_GO + "\n```\n\n```\n" + GO_HANG + "\n```"),
    H("ja", "reasoning", "家計簿アプリのバックエンドをPythonで設計してください。データモデル、API、集計処理、テスト方針まで含めて。"),
    H("ja", "reasoning", "5人(A〜E)が一列に並ぶ。AはBより前、CはDのすぐ後ろ、Eは端にいる。並び方は何通りあるか、場合分けして求めてください。"),
    H("ja", "reasoning", "引っ越しの段取りを立ててください。退去通知は1か月前、ネット回線の工事は申込から3週間、子どもの転校手続きは転居前に必要、という条件で、8週間の計画表を依存関係付きで。"),
    H("ja", "reasoning", "このリモートワーク規程の矛盾や曖昧な点をすべて指摘して、修正案を出してください。\n\n" + POLICY_H),
    H("ja", "reasoning", "以下の二つの要約を、原文への忠実さ・網羅性・簡潔さの基準で採点し、理由を述べてください。\n要約A:エレベーターが3日間止まる。\n要約B:月〜水の9〜17時、点検のためエレベーターは1基のみ運転。"),
    H("ja", "reasoning", "では、その戦略が最適であることを証明してください。", hist=[{"role": "user", "content": "石取りゲームで、1〜3個ずつ取って最後の石を取った方が勝ち。21個から始めたら先手はどうすればいい?"}, {"role": "assistant", "content": "相手の手番で残りが4の倍数になるように取ればよいです。"}]),
    H("ja", "reasoning", "年利3%で毎月5万円を20年間積み立てた場合の最終額を、月複利で計算過程とともに求めてください。"),
    H("ja", "reasoning", "ECサイトのカート放棄率が先月から急増しました。原因仮説を立て、それぞれを検証するためのSQLと判断基準を設計してください。", tools=TOOL_SQL),
]
