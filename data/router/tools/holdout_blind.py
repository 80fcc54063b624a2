# Blind held-out items: written after development, evaluated once, never used for training or tuning.
import json, sys
from collections import Counter

INCIDENT = """Incident timeline (all times UTC)
09:02 deploy of build 4411 to eu-west starts
09:05 p95 latency for /search goes from 180ms to 900ms
09:07 autoscaler adds 6 instances
09:11 error rate 4%, mostly 504 from the recommendation service
09:14 on-call rolls back build 4411 in eu-west only
09:20 latency still high in eu-west; us-east unaffected throughout
09:26 recommendation service cache cluster shows 100% CPU on one node
09:31 cache node restarted, latency back to normal at 09:33
Notes: build 4411 changed the cache key format for recommendations."""

MINUTES_DE = """Elternabend Klasse 7b
- Die Klassenfahrt nach Hamburg ist für den 12.-16. Mai geplant. Kosten pro Kind: 310 Euro.
- Der Förderverein übernimmt 50 Euro pro Kind, wenn die Anmeldung bis 1. März erfolgt.
- Frau Kaya bittet um zwei Begleitpersonen aus der Elternschaft.
- Die Mathearbeit wird vom 14. auf den 21. März verschoben.
- Nächster Elternabend: 4. Juni, 19 Uhr."""

CLAUSES_ES = """Cláusula 4. El trabajador se compromete a no trabajar para ninguna empresa del sector durante cinco años tras la extinción del contrato, sin compensación económica.
Cláusula 6. Las horas extraordinarias se entienden incluidas en el salario base, sea cual sea su número.
Cláusula 9. La empresa podrá modificar el horario y el lugar de trabajo en cualquier momento con un preaviso de 24 horas."""

KO_LOG = """[ERROR] 2025-03-02 10:14:03 OrderService - NullPointerException at com.shop.order.OrderService.applyCoupon(OrderService.java:88)
[WARN]  2025-03-02 10:14:03 CouponCache - coupon 'SPRING25' not found in cache, fallback to DB
[ERROR] 2025-03-02 10:14:05 OrderService - NullPointerException at com.shop.order.OrderService.applyCoupon(OrderService.java:88)
[INFO]  2025-03-02 10:15:00 CouponBatch - 1,204 coupons expired and removed"""

JA_MAIL = """件名:打ち合わせ日程の件
山田様
いつもお世話になっております。来週の打ち合わせですが、火曜日の午後2時からでいかがでしょうか。場所は弊社3階の会議室を予定しております。ご都合が悪い場合は、候補日をいくつかお知らせください。
よろしくお願いいたします。
鈴木"""

ZH_CODE = """def top_k(nums, k):
    nums.sort()
    return nums[-k:]"""

FR_TEXT = """Le musée des Beaux-Arts rouvre ses portes après deux ans de travaux. Les visiteurs pourront découvrir une nouvelle aile consacrée à l'art contemporain, ainsi qu'un jardin de sculptures. L'entrée reste gratuite le premier dimanche de chaque mois."""

def R(lang, label, text, sys=None, hist=None, tools=None, rf=None):
    return (lang, label, text, sys, hist, tools, rf)

TOOLS = [{"type": "function", "function": {"name": "web_search", "parameters": {"type": "object", "properties": {"q": {"type": "string"}}}}}]
ITEMS = [
    R("en", "chat", "Compose a short, upbeat Instagram caption for a photo of my sourdough bread."),
    R("en", "chat", "Pretend you are Sherlock Holmes and greet me in character."),
    R("en", "chat", "Could you shorten this paragraph to about half its length?\n\n" + FR_TEXT.replace("Le musée", "The museum")),
    R("en", "chat", "Here's our incident timeline. Just reformat it as a bulleted list, no analysis needed.\n\n" + INCIDENT),
    R("en", "chat", "how many tablespoons in a quarter cup"),
    R("en", "chat", "Who won the 2018 FIFA World Cup?", tools=TOOLS),
    R("en", "reasoning", "Write a postmortem for this incident: root cause, contributing factors, why the rollback didn't help, and action items with owners.\n\n" + INCIDENT),
    R("en", "reasoning", "You have a 3-gallon jug and a 5-gallon jug. How do you measure exactly 4 gallons? Then prove no solution exists for 4 gallons with 6- and 9-gallon jugs."),
    R("en", "reasoning", "Implement a function in C that parses a CSV line with quoted fields and escaped quotes, without allocating, and list the edge cases you tested."),
    R("en", "reasoning", "Given a sorted rotated array with duplicates, write a function to find the minimum and argue about its worst-case complexity."),
    R("en", "reasoning", "If the probability of rain on each of the next 3 days is 40%, independently, what's the probability it rains on exactly 2 of them?"),
    R("en", "reasoning", "Evaluate these three business ideas for a solo founder with $20k: a meal-prep service, a Shopify plugin, and a language tutoring marketplace. Score each on market size, competition, time to revenue and risk, and recommend one.", sys="You are a pragmatic startup advisor."),
    R("ko", "chat", "오늘 저녁 메뉴 뭐 먹지? 간단한 거 추천해 줘"),
    R("ko", "chat", "이 로그에서 에러 메시지만 골라서 보여 줘.\n\n" + KO_LOG),
    R("ko", "chat", "‘수고하셨습니다’를 영어로 자연스럽게 어떻게 말해?"),
    R("ko", "chat", "3만 원의 20%는 얼마야?"),
    R("ko", "reasoning", "이 로그를 보고 쿠폰 적용 중 NullPointerException이 나는 근본 원인을 추론하고, 재발 방지를 위한 코드 수정과 테스트 방안을 제시해 줘.\n\n" + KO_LOG),
    R("ko", "reasoning", "1부터 n까지의 세제곱의 합이 (n(n+1)/2)^2 임을 증명해 줘."),
    R("ko", "reasoning", "주간 회의 시간을 정해야 해. 5명의 가능한 시간대가 다 다르고, 팀장은 반드시 참석해야 하며, 화요일 오전은 모두 불가능해. 이런 제약을 푸는 알고리즘을 설계하고 파이썬으로 구현해 줘."),
    R("ko", "reasoning", "카드 52장에서 5장을 뽑을 때 플러시가 나올 확률을 계산 과정과 함께 구해 줘."),
    R("ja", "chat", "このメールを英語に訳してください。\n\n" + JA_MAIL),
    R("ja", "chat", "このメールから日時と場所だけ抜き出して。\n\n" + JA_MAIL, rf={"type": "json_object"}),
    R("ja", "chat", "最近ハマってるアニメある?"),
    R("ja", "chat", "500円玉3枚と100円玉4枚でいくら?"),
    R("ja", "reasoning", "この障害タイムラインから根本原因を特定し、ロールバックが効かなかった理由と再発防止策を説明してください。\n\n" + INCIDENT),
    R("ja", "reasoning", "nが3以上の整数のとき、2^n > 2n+1 が成り立つことを帰納法で証明してください。"),
    R("ja", "reasoning", "社内の経費精算システムをマイクロサービスに分割する設計案を、データ整合性と移行計画を含めて作成してください。"),
    R("ja", "reasoning", "AとBとCの3人のうち1人だけが本当のことを言っています。A「Bが犯人」B「私は犯人ではない」C「Aは嘘をついている」。犯人は誰か、すべての場合を検討して答えてください。"),
    R("zh", "chat", "帮我把这段代码的变量名改成更有意义的名字就行,不用改逻辑。\n\n```python\n" + ZH_CODE + "\n```"),
    R("zh", "chat", "明天上海会下雨吗?", tools=[{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}]),
    R("zh", "chat", "推荐几本适合高中生读的科幻小说"),
    R("zh", "chat", "“一石二鸟”是什么意思?"),
    R("zh", "reasoning", "这段代码在k大于列表长度或k为0时有什么问题?请分析所有边界情况,改写成不修改原列表且复杂度为O(n log k)的版本,并写测试。\n\n```python\n" + ZH_CODE + "\n```"),
    R("zh", "reasoning", "证明:对任意正整数n,n^5 - n 能被30整除。"),
    R("zh", "reasoning", "我们要在两个月内把单体电商系统拆成订单、库存、支付三个服务,请给出分阶段方案、数据迁移策略、每阶段的回滚办法和风险评估。"),
    R("zh", "reasoning", "一个人说:“我说的这句话是假的。”请分析这个悖论,并说明经典逻辑中有哪些处理方式。"),
    R("es", "chat", "Escríbeme un mensaje de WhatsApp para decirle a mi jefe que llegaré 10 minutos tarde."),
    R("es", "chat", "Resume estas cláusulas en una frase cada una.\n\n" + CLAUSES_ES),
    R("es", "chat", "¿Qué significa la expresión 'estar en las nubes'?"),
    R("es", "chat", "¿Cuánto son 3 horas y 45 minutos en minutos?"),
    R("es", "reasoning", "Analiza la validez de estas cláusulas según el derecho laboral español, explica qué riesgos tiene el trabajador y propone una redacción alternativa equilibrada.\n\n" + CLAUSES_ES),
    R("es", "reasoning", "Demuestra que no existe ningún número racional cuyo cuadrado sea 3."),
    R("es", "reasoning", "Escribe un programa en Python que resuelva sudokus usando backtracking con propagación de restricciones y explica por qué la propagación reduce la búsqueda."),
    R("es", "reasoning", "Si lanzo un dado 4 veces, ¿cuál es la probabilidad de obtener al menos un 6? ¿Y de que la suma sea exactamente 10? Razona ambos cálculos."),
    R("de", "chat", "Fass dieses Protokoll in drei Stichpunkten zusammen.\n\n" + MINUTES_DE),
    R("de", "chat", "Übersetze das Protokoll ins Englische.\n\n" + MINUTES_DE),
    R("de", "chat", "Wie spät ist es in New York, wenn es in Berlin 15 Uhr ist?"),
    R("de", "chat", "Kannst du mir ein einfaches Rezept für Pfannkuchen geben?"),
    R("de", "reasoning", "Plane anhand des Protokolls die nächsten Schritte für die Klassenfahrt: Fristen, Abhängigkeiten, was passiert, wenn sich nicht genug Begleitpersonen finden, und einen Zeitplan.\n\n" + MINUTES_DE),
    R("de", "reasoning", "Zeige, dass es unendlich viele Primzahlen der Form 6k-1 gibt."),
    R("de", "reasoning", "Schreibe in Rust einen asynchronen Webcrawler mit begrenzter Parallelität, Deduplizierung und robots.txt-Beachtung und erkläre die Architektur."),
    R("de", "reasoning", "In einer Urne sind 4 rote und 6 grüne Kugeln. Es wird dreimal mit Zurücklegen gezogen. Wie groß ist die Wahrscheinlichkeit für mindestens zwei rote Kugeln? Mit Rechenweg."),
    R("fr", "chat", "Traduis ce texte en espagnol.\n\n" + FR_TEXT),
    R("fr", "chat", "Quel temps fait-il en général à Nice en avril ?"),
    R("fr", "chat", "Propose trois titres accrocheurs pour un article sur ce musée.\n\n" + FR_TEXT),
    R("fr", "chat", "Combien font 250 grammes en livres ?"),
    R("fr", "reasoning", "Démontre que la somme des angles d'un triangle vaut 180 degrés en utilisant le postulat des parallèles, puis explique pourquoi ce n'est plus vrai en géométrie sphérique."),
    R("fr", "reasoning", "Écris en Python une fonction qui détecte les cycles dans un graphe orienté et renvoie un cycle trouvé, avec une analyse de complexité et des tests."),
    R("fr", "reasoning", "Un escargot monte de 3 mètres le jour et redescend de 2 mètres la nuit dans un puits de 10 mètres. En combien de jours sort-il ? Justifie rigoureusement."),
    R("fr", "reasoning", "Compare trois stratégies de tarification pour une application SaaS (freemium, essai gratuit, paiement à l'usage) selon l'acquisition, la rétention et les revenus, et recommande-en une pour une startup B2B.", sys="Tu es un consultant en stratégie."),
]

with open(sys.argv[1], "w") as f:
    for n, (lang, label, text, sp, hist, tools, rf) in enumerate(ITEMS):
        msgs = ([{"role": "system", "content": sp}] if sp else []) + (hist or []) + [{"role": "user", "content": text}]
        req = {"model": "auto", "messages": msgs}
        if tools: req["tools"] = tools
        if rf: req["response_format"] = rf
        f.write(json.dumps({"id": f"blind-{lang}-{n:03d}", "label": label, "lang": lang, "request": req}, ensure_ascii=False) + "\n")
print(len(ITEMS), Counter((i[0], i[1]) for i in ITEMS))
