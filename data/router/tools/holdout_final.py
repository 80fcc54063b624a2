# Final fresh held-out items, written after the model was frozen and evaluated exactly once.
import json, sys
from collections import Counter

REVIEW = """Code review notes - PR #2291 (checkout refactor)
- The new PriceCalculator caches tax rates per country at startup.
- Tax rates are updated by the finance team through the admin panel during the day.
- Discounts are now applied after tax instead of before tax.
- The PR removes the rounding step in LineItem.total() "because Decimal is exact".
- Tests: 14 unit tests added, all using the country code 'DE'."""

CSV_SALES = "date,store,revenue\n" + "\n".join(f"2025-04-{d:02d},{s},{1000 + (d * 37 + len(s) * 11) % 500}" for d in range(1, 21) for s in ["A", "BB"])

POEM_FR = """Sous le pont Mirabeau coule la Seine
Et nos amours
Faut-il qu'il m'en souvienne
La joie venait toujours après la peine"""

NOTE_ZH = """周报(第12周)
本周完成:用户中心改版上线;修复登录偶发失败问题;完成Q2预算初稿。
下周计划:启动会员积分项目;与法务确认隐私政策更新;招聘一名测试工程师。
风险:积分项目依赖支付团队接口,对方排期未定。"""

MAIL_DE = """Hallo Herr Brandt,

anbei sende ich Ihnen wie besprochen das Angebot für die Renovierung des Büros im zweiten Stock. Die Arbeiten würden etwa drei Wochen dauern und könnten frühestens am 2. Juni beginnen. Bitte geben Sie mir bis Ende der Woche Bescheid, ob der Termin passt.

Viele Grüße
Sabine Krüger"""

ES_DATA = """Mes | Visitas web | Pedidos | Devoluciones
Enero | 42.000 | 1.260 | 95
Febrero | 39.500 | 1.310 | 102
Marzo | 51.000 | 1.180 | 240
Abril | 55.200 | 1.150 | 310
Nota: en marzo se cambió el proveedor de envíos."""

def R(lang, label, text, sys=None, hist=None, tools=None, rf=None, effort=None):
    return (lang, label, text, sys, hist, tools, rf, effort)

T = [{"type": "function", "function": {"name": "send_email", "parameters": {"type": "object", "properties": {"to": {"type": "string"}, "body": {"type": "string"}}}}}]
ITEMS = [
    R("en", "chat", "morning! any quick breakfast ideas that aren't eggs?"),
    R("en", "chat", "Email Sam that the meeting moved to 3pm", tools=T),
    R("en", "chat", "Give this CSV back to me sorted by revenue, highest first.\n\n" + CSV_SALES),
    R("en", "chat", "Turn these review notes into a numbered list, same wording.\n\n" + REVIEW),
    R("en", "chat", "What's the difference between a latte and a cappuccino?"),
    R("en", "chat", "sounds good, send it", hist=[{"role": "user", "content": "Draft a short reply thanking Maria for the invite"}, {"role": "assistant", "content": "Hi Maria, thanks so much for the invite - I'd love to come!"}]),
    R("en", "chat", "What's 12.5% of 240?"),
    R("en", "reasoning", "Review these PR notes as a senior engineer: which changes are likely to cause incorrect prices in production, why, and what tests are missing?\n\n" + REVIEW),
    R("en", "reasoning", "From this CSV, determine whether store BB is trending differently from store A, quantify it, and say whether the difference could be noise.\n\n" + CSV_SALES),
    R("en", "reasoning", "A drawer has 10 black and 10 white socks. In the dark, how many must I take to be sure of a matching pair, and how many to be sure of a black pair? Explain."),
    R("en", "reasoning", "Write a Python generator that yields all permutations of a list in lexicographic order without recursion, and prove it visits each exactly once."),
    R("en", "reasoning", "Grade this answer to 'Why is the sky blue?' on a 1-5 scale for accuracy and completeness, with justification: 'Because it reflects the ocean.'", sys="You are a strict grader.", rf={"type": "json_object"}),
    R("ko", "chat", "주말에 비 온대? 우산 챙겨야 하나"),
    R("ko", "chat", "이 주간 보고를 영어로 번역해 줘.\n\n" + NOTE_ZH.replace("周报", "주간 보고")),
    R("ko", "chat", "자기소개 첫 문장 좀 자연스럽게 다듬어 줘: 저는 열정 많은 개발자 입니다."),
    R("ko", "chat", "12,000원짜리를 30% 할인하면 얼마야?"),
    R("ko", "chat", "고마워 덕분에 해결했어!", hist=[{"role": "user", "content": "이 재귀 함수가 왜 스택 오버플로가 나는지 분석해 줘"}, {"role": "assistant", "content": "종료 조건이 음수 입력을 처리하지 못해서 무한 재귀가 됩니다..."}]),
    R("ko", "reasoning", "이 코드 리뷰 메모를 보고 운영 환경에서 잘못된 가격이 나올 수 있는 변경을 찾아 이유를 설명하고, 빠진 테스트를 제안해 줘.\n\n" + REVIEW),
    R("ko", "reasoning", "1부터 100까지 중 임의로 두 수를 뽑을 때 합이 짝수일 확률을 구하고 풀이를 적어 줘."),
    R("ko", "reasoning", "스도쿠 퍼즐을 푸는 프로그램을 자바로 작성하고 백트래킹 탐색 순서를 어떻게 최적화했는지 설명해 줘."),
    R("ko", "reasoning", "팀 워크숍 일정을 짜 줘. 장소 예약은 인원 확정 후에만 가능하고, 인원 확정은 설문 마감 다음 날이며, 설문은 2주간 진행돼. 의존 관계가 드러나게 정리해 줘."),
    R("ja", "chat", "今日のランチ、パスタかカレーで迷ってる。どっちがいいと思う?"),
    R("ja", "chat", "この週報を日本語に訳してください。\n\n" + NOTE_ZH),
    R("ja", "chat", "お客様へのお詫びメールの書き出しを一文だけ考えてください。"),
    R("ja", "chat", "3,800円の商品を2つと1,200円の商品を1つ買ったら合計いくら?"),
    R("ja", "reasoning", "このCSVから店舗Aと店舗BBの売上傾向の違いを定量的に分析し、その差が誤差の範囲かどうか判断してください。\n\n" + CSV_SALES),
    R("ja", "reasoning", "正の整数a, bについて、gcd(a, b) × lcm(a, b) = ab が成り立つことを証明してください。"),
    R("ja", "reasoning", "Goで並行ダウンローダーを実装してください。同時接続数の制限、リトライ、途中再開に対応し、設計の理由も説明して。"),
    R("ja", "reasoning", "次の2つの回答を、正確さと分かりやすさの観点で10点満点で採点し、理由を述べてください。\nA:地球が太陽の周りを回るので昼と夜がある。\nB:地球が自転しているので昼と夜がある。"),
    R("zh", "chat", "这周末去爬山还是去看展?帮我选一个"),
    R("zh", "chat", "把这份周报翻译成英文。\n\n" + NOTE_ZH),
    R("zh", "chat", "把周报里的“风险”那一行单独摘出来。\n\n" + NOTE_ZH),
    R("zh", "chat", "买三杯奶茶,每杯18块,一共多少钱?"),
    R("zh", "reasoning", "根据这份周报,分析下周计划中的依赖和风险,给出一个考虑了支付团队排期不确定性的应对方案和时间表。\n\n" + NOTE_ZH),
    R("zh", "reasoning", "证明:任意一个大于1的整数都可以分解成质数的乘积。"),
    R("zh", "reasoning", "用C++写一个线程池,支持任务提交返回future、优雅关闭,并解释如何避免死锁。"),
    R("zh", "reasoning", "有100个灯泡,第i轮切换所有编号是i的倍数的灯泡开关,100轮后哪些灯亮着?请给出推理。"),
    R("es", "chat", "¿Qué me pongo para una boda en la playa?"),
    R("es", "chat", "Pasa esta tabla a CSV, sin cambiar los números.\n\n" + ES_DATA),
    R("es", "chat", "¿Cómo se escribe correctamente: 'haber' o 'a ver' en 'vamos a ver qué pasa'?"),
    R("es", "chat", "perfecto, ¡mil gracias!", hist=[{"role": "user", "content": "Demuestra que la suma de dos números impares es par"}, {"role": "assistant", "content": "Sean 2a+1 y 2b+1; su suma es 2(a+b+1), que es par."}]),
    R("es", "reasoning", "Analiza estos datos: ¿qué relación hay entre el cambio de proveedor y las devoluciones, qué otras explicaciones hay y qué harías para confirmarlo?\n\n" + ES_DATA),
    R("es", "reasoning", "Demuestra que entre cualquier grupo de 13 personas hay al menos dos que cumplen años el mismo mes."),
    R("es", "reasoning", "Escribe en Java un sistema de reservas de salas que evite solapamientos con concurrencia, y explica cómo lo probarías."),
    R("es", "reasoning", "Tengo 3 ofertas de trabajo con distinto salario, teletrabajo, crecimiento y estabilidad. Diseña una matriz de decisión ponderada, justifica los pesos y explica cómo cambia la decisión si priorizo la estabilidad."),
    R("de", "chat", "Was koche ich heute Abend schnell mit Reis?"),
    R("de", "chat", "Antworte kurz und freundlich auf diese Mail: Termin passt.\n\n" + MAIL_DE),
    R("de", "chat", "Übersetze die Mail ins Englische.\n\n" + MAIL_DE),
    R("de", "chat", "Wie viel sind 19 % Mehrwertsteuer auf 80 Euro?"),
    R("de", "reasoning", "Prüfe die Review-Notizen: Welche Änderungen führen wahrscheinlich zu falschen Preisen, warum, und welche Tests fehlen?\n\n" + REVIEW),
    R("de", "reasoning", "Zeige, dass die Folge a(n) = (1 + 1/n)^n monoton wächst."),
    R("de", "reasoning", "Schreibe in Python einen LRU-Cache ohne OrderedDict mit O(1) für get und put und begründe die Komplexität."),
    R("de", "reasoning", "Drei Kisten, eine mit Gold. Du wählst eine, der Moderator öffnet eine leere der anderen beiden. Solltest du wechseln? Begründe mit Wahrscheinlichkeiten."),
    R("fr", "chat", "Tu connais un bon film français récent ?"),
    R("fr", "chat", "Recopie ce poème en corrigeant la ponctuation seulement.\n\n" + POEM_FR),
    R("fr", "chat", "Traduis ce poème en anglais.\n\n" + POEM_FR),
    R("fr", "chat", "Ça fait combien 3 heures 20 en minutes ?"),
    R("fr", "reasoning", "Analyse ce poème : structure, figures de style, et comment la forme sert le thème du temps qui passe. Argumente chaque point.\n\n" + POEM_FR),
    R("fr", "reasoning", "Démontre que la somme des n premiers cubes est égale au carré de la somme des n premiers entiers."),
    R("fr", "reasoning", "Écris en Rust un parseur JSON minimal (sans dépendance) qui gère les chaînes échappées et les nombres, avec des tests."),
    R("fr", "reasoning", "Planifie la migration de notre site e-commerce vers un nouveau CMS en trois mois : contenus, SEO, paiements, formation, avec les dépendances et un plan de retour arrière.", effort="high"),
]

with open(sys.argv[1], "w") as f:
    for n, (lang, label, text, sp, hist, tools, rf, effort) in enumerate(ITEMS):
        msgs = ([{"role": "system", "content": sp}] if sp else []) + (hist or []) + [{"role": "user", "content": text}]
        req = {"model": "auto", "messages": msgs}
        if tools: req["tools"] = tools
        if rf: req["response_format"] = rf
        if effort: req["reasoning_effort"] = effort
        f.write(json.dumps({"id": f"final-{lang}-{n:03d}", "label": label, "lang": lang, "request": req}, ensure_ascii=False) + "\n")
print(len(ITEMS), Counter((i[0], i[1]) for i in ITEMS))
