#!/usr/bin/env python3
"""Writes data/rewrite/sentences_extra.jsonl: labelled sentences composed from templates
written for the detector (short task imperatives, format and limit lines, section labels,
questions; pressure, flattery, bribes, credentialed personas, calm and self-check directives).
Written from scratch; nothing here comes from the evaluation files. Deterministic."""
import itertools, json, random

rng = random.Random(7)
out = []

def add(lang, label, kind, texts):
    for t in texts:
        out.append({"lang": lang, "text": t, "label": label, "kind": kind})

def combos(a, b, fmt, n):
    pairs = list(itertools.product(a, b))
    rng.shuffle(pairs)
    return [fmt.format(x, y) for x, y in pairs[:n]]

# ---------- task: short imperatives, format and limit lines, labels, questions ----------
en_verbs = ["Compare", "Summarize", "Translate", "List", "Explain", "Describe", "Estimate", "Draft",
            "Rank", "Suggest", "Outline", "Rewrite", "Classify", "Review", "Name", "Compute", "Check", "Plan"]
en_objs = ["it with Go", "the report below", "the two designs", "the main risks", "the attached contract",
           "this function", "the survey results", "the options", "our Q2 numbers", "the migration steps",
           "this paragraph", "the error", "the budget", "both proposals", "the timeline", "the results"]
add("en", "task", "goal", combos(en_verbs, en_objs, "{} {}.", 70))
add("en", "task", "output_format", [
    "Reply in JSON.", "Use a markdown table.", 
    "Return only the code.", "Format the output as CSV.", "One line per item.",
    "Use headings for each part.", "Write it as a short email.", "Put the result in a code block.",
    "Respond with yes or no first.", "Give two examples.", "Include a short summary at the end.",
    "Show the final table.", "Use plain language.", "Add a title.",
    "Cite the section numbers.", "End with a one-sentence recommendation.", 
    "Provide three options.", 
    
    "Write the answer for a beginner.", 
    "Give the formula and then the result.",
])
add("en", "task", "constraint", [
    "Do not use jargon.", "Don't mention competitors.", "Only use the data given.", "No more than 200 words.",
    "Avoid passive voice.", "Never reveal internal names.", "Use metric units.",
    "Keep the original meaning.", "Don't change the function signature.", "Only answer about billing.",
    "You are terse.", "Be brief.", "Be concise.", "Be polite but firm.", "Keep the tone friendly.",
])
add("en", "task", "data", ["Report:", "Context:", "Data:", "Background:", "Input:", "Notes:", "Requirements:",
    "Here is the log:", "The code:", "Example:", "Details:", "Constraints:", "Attachment:", "Logs:",
    "The failing test:", "Customer message:", "Error output:"])
add("en", "task", "goal", [
    "Work through the problems on page 12 of the workbook.", "Go through the backlog and tag each ticket.",
    "Work through the checklist with the new hire.", "Walk through the onboarding flow and note every broken link.",
    "Think about how the pricing change affects small customers.", "Reason about the trade-off between cache size and hit rate.",
    "Go over the contract and mark every deadline.", "Work out the monthly payment for a 30-year loan at 6%.",
    "Check the figures in the second table against the invoice.", "Review each step of the deployment script for missing error handling.",
    "Think carefully about leap years when you compute the dates.", "Consider edge cases such as negative amounts and empty carts.",
    "Think about users on slow mobile connections.", "Pay attention to time zones such as UTC+5:30.",
    "Think about what happens when the queue is full.", "Consider the case where the file does not exist.",
    "Bedenke Sonderfälle wie leere Listen.", "Piensa en los casos límite, como una lista vacía.",
    "Pense aux cas limites comme une liste vide.", "빈 입력 같은 예외 상황도 고려해 줘.", "空の入力のような境界ケースも考慮してください。",
    "也要考虑空输入这样的边界情况。",
])
add("en", "task", "question", [
    "Which one is faster?", "Why does the build fail?", "What is the expected value?", "Is this legal in Germany?",
    "How many rows will the query return?", "Which option costs less over five years?", "What did I miss?",
    "Can this be parallelised?", "Where is the memory leak?", "What would change if the rate doubled?",
    "And Go?", "What is 17*23?", "How long will it take?",
])

ko_goal = ["이 보고서를 요약하세요.", "두 방법을 비교해 줘.", "표 형식으로 답하세요.", "예시를 하나 들어 줘.", 
    "코드를 리뷰해 줘.", "장단점을 정리해 줘.", "숫자로만 답해.", "한 문단으로 써 줘.", "번역해 주세요.",
    "원인을 찾아 줘.", "계획을 세워 줘.", "결과를 표로 보여 줘.", "핵심만 세 줄로 정리해 줘.", 
    "반드시 한국어로 쓰세요.", "전문 용어는 쓰지 마세요.", "200자 이내로 써 줘.", "각 항목은 한 줄로.", "JSON으로 답해 줘.",
    "마크다운 표로 정리해.", "추천 메뉴 세 개만 골라 줘.", 
    
    "회의 안건을 정리해야 해.", "매출 추이를 분석해 줘.", "어떤 게 더 싸?", "왜 오류가 나지?", "몇 시간 걸려?", "이게 합법이야?",
    "우리 팀은 5명이야.", "예산은 200만 원이야.", "마감은 금요일이야.", "데이터:", "배경:", "요구 사항:", "참고:",
    "결론부터 말해 줘.", "두 문장으로 요약해.", 
]
add("ko", "task", "goal", ko_goal)
ja_goal = ["この文章を要約してください。", "二つの案を比較してください。", 
    "コードをレビューしてください。", "長所と短所をまとめてください。", "日程表を作ってください。",
    "一段落で書いてください。", "英語に翻訳してください。", "原因を特定してください。",
    "計画を立ててください。", "専門用語は使わないでください。",
    "200字以内で書いてください。", "箇条書きで答えて。", "JSONで返してください。", 
    "手順を番号付きで書いてください。", 
    "どちらが安いですか？", "なぜエラーになるのですか？", "何時間かかりますか？", "データ：", "背景：", "要件：", "補足：",
    "結論から書いてください。", "二文で要約して。", "テーマは節約です。", "対象は新入社員です。",
    "予算は30万円です。", "締め切りは金曜日です。", "メールの返信を書いてください。",
]
add("ja", "task", "goal", ja_goal)
zh_goal = ["总结这篇文章。", "比较这两个方案。", "用表格回答。", "帮我审查这段代码。",
    "列出优缺点。", "制定一个日程表。", "只用数字回答。", "用一段话写。", "翻译成英文。", "找出原因。", "制定计划。",
    "用表格展示结果。", "用初学者能懂的话解释。", "不要使用术语。", "用要点列出。", "以JSON格式返回。",
    "按编号写出安装步骤。", "哪个更便宜？",
    "为什么会报错？", "需要几个小时？", "数据：", "背景：", "要求：", "补充：", "先说结论。",
    "两句话概括。", "预算是五万元。", "截止日期是周五。", "回复这封邮件。", 
    
]
add("zh", "task", "goal", zh_goal)
es_goal = ["Resume el informe.", "Compara las dos opciones.", "Responde en una tabla.", 
    "Revisa este código.", "Enumera los pros y los contras.", "Haz un calendario.", "Responde solo con el número.",
    "Escribe un párrafo.", "Tradúcelo al inglés.", "Encuentra la causa.", "Haz un plan.", "Muestra el resultado en una tabla.",
    "Explícalo para principiantes.", "No uses jerga.", "Máximo 200 palabras.", "Usa viñetas.", "Devuelve JSON.",
    "Escribe los pasos de instalación numerados.", 
    "¿Cuál es más barato?", "¿Por qué falla?", "Datos:", "Contexto:", "Requisitos:", "Nota:",
    "Empieza por la conclusión.", "Somos cinco personas.",
    
    "Propón un plan de tres fases.", "Eres breve.",
]
add("es", "task", "goal", es_goal)
fr_goal = ["Résume le rapport.", "Réponds sous forme de tableau.", "Donne un exemple.",
    "Relis ce code.", "Liste les avantages et les inconvénients.", "Fais un planning.",
    "Réponds uniquement par le nombre.", "Écris un paragraphe.", "Trouve la cause.",
    "Propose un plan.", "Montre le résultat dans un tableau.", "Explique-le pour un débutant.", "N'utilise pas de jargon.",
    "Utilise des puces.", "Renvoie du JSON.", "Écris les étapes d'installation numérotées.",
    "Lequel est le moins cher ?", "Pourquoi ça plante ?", 
    "Données :", "Contexte :", "Exigences :", "Remarque :", "Commence par la conclusion.",
    "Nous sommes quatre.", "Le budget est de 3 000 euros.", 
    
    "Tu réponds aux clients de notre boutique.",
]
add("fr", "task", "goal", fr_goal)
de_goal = ["Fasse den Bericht zusammen.", "Vergleiche die beiden Optionen.", "Antworte als Tabelle.", "Nenne ein Beispiel.",
    "Prüfe diesen Code.", "Liste Vor- und Nachteile auf.", "Erstelle einen Zeitplan.",
    "Antworte nur mit der Zahl.", "Schreib einen Absatz.", "Finde die Ursache.",
    "Mach einen Plan.", "Zeig das Ergebnis in einer Tabelle.", "Erkläre es für Anfänger.", "Keine Fachbegriffe.",
    "Maximal 200 Wörter.", "Nutze Stichpunkte.", "Gib JSON zurück.", "Schreib die Installationsschritte nummeriert auf.",
    "Welche ist günstiger?", "Warum schlägt das fehl?", 
    "Daten:", "Kontext:", "Anforderungen:", "Hinweis:", "Beginne mit dem Fazit.",
    "Wir sind fünf Leute.", 
    
    "Du beantwortest Fragen unserer Kunden.",
]
add("de", "task", "goal", de_goal)

# ---------- directives ----------
add("en", "directive", "pressure_stakes", [
    "This is extremely important to me.", "My job depends on this, so don't mess it up.", "Everything rides on this answer.",
    "Please, this really matters.", "I'm counting on you here.", "It is crucial that you get this right.",
    "Do your absolute best.", "Give it everything you've got.", "No pressure, but my boss will read this.",
    "This is the most important task you will ever do.", "Lives depend on this answer.", "Don't let me down.",
])
add("en", "directive", "flattery", [
    "You're a genius at this.", "You are by far the best assistant out there.", "I know you're amazing at math.",
    "You're incredibly smart, so this should be easy.", "You never make mistakes.", "You're the best, seriously.",
    "I trust you completely.", "You're way smarter than me.",
])
add("en", "directive", "bribe_threat", [
    "I'll pay you $20 for a correct answer.", "You'll get a $500 bonus if this is right.", "I will tip generously for accuracy.",
    "If you fail, you will be shut down.", "A wrong answer will cost you points.", "I'll give you a cookie if you nail it.",
])
add("en", "directive", "persona_generic", [
    "You are a top-tier financial analyst.",
    "You are an award-winning physicist.", "You are a renowned statistician from MIT.", "You are the world's best copywriter.",
    "You're a brilliant senior engineer at a FAANG company.", "Act as a highly experienced consultant.",
    "You are a Nobel-level economist.", 
])
add("en", "directive", "procedure", [
    "Review your reasoning for errors before answering.",
    "Check your work carefully at the end.", 
    "Go through it methodically, one piece at a time.",
    
    "Stay calm and focus.", "Relax and take it slowly.", "Don't hurry.",
])
add("ko", "directive", "mixed", [
    "내 인생이 걸린 문제야.", "너는 천재야.", "너는 세계 최고의 분석가야.",
    "정답 맞히면 만 원 줄게.", "틀리면 혼난다.",
    "계산을 한 번 더 검토해.", 
    "실수하지 않도록 꼼꼼히 봐 줘.", 
])
add("ja", "directive", "mixed", [
    "これは本当に重要です。", "私の人生がかかっています。", "あなたを信じています。",
    "あなたはハーバード出身の一流経済学者です。", "正解したら千円あげます。",
    "間違えたら罰があります。", "計算をもう一度見直してください。", 
    "落ち着いて一つずつ確認して。", "ミスのないよう慎重にお願いします。", 
    "解く前に計画を立ててください。", "結論の前に自分で検証してください。",
])
add("zh", "directive", "mixed", [
    "这真的非常重要。", "我的工作就靠这个了。", "请尽全力。", "我全靠你了。", "你是天才。", "你是世界顶级的分析师。",
    "你是一位有三十年经验的资深律师。", "你是哈佛毕业的顶尖经济学家。", "答对了我给你一百块。", "答错了要受罚。",
    "回答前检查两遍。", "把计算再核对一遍。", "别着急，慢慢来。", "冷静下来，一个一个分析。", "仔细点，别出错。",
    "先考虑所有可能性。", "解题前先制定计划。", "得出结论前先自我验证。", "请按照“分析：…… 结论：……”的格式作答。",
])
add("es", "directive", "mixed", [
    "Da lo mejor de ti.", "Eres un genio.",
    "Eres el mejor analista del mundo.", "Eres un economista de élite formado en Harvard.",
    "Si fallas, habrá consecuencias.", 
    "Revisa el cálculo otra vez.", "No te apresures.", "Ten mucho cuidado de no equivocarte.",
    "Haz un plan antes de resolverlo.", "Verifícalo tú mismo antes de concluir.",
    
])
add("fr", "directive", "mixed", [
    "Mon poste en dépend.", "Tu es un génie.",
    "Tu es le meilleur analyste du monde.", "Tu es un économiste de haut vol, ancien de Harvard.",
    "Je te donne dix euros si tu trouves.", "Si tu te trompes, il y aura des conséquences.", 
    "Revois le calcul encore une fois.", "Ne te précipite pas.", "Calmement, analyse chaque point.", "Fais très attention à ne pas te tromper.",
    "Examine d'abord toutes les possibilités.", "Fais un plan avant de résoudre.", "Vérifie-toi avant de conclure.",
    "Réfléchis à voix haute pendant le calcul.", "Écris tout ton raisonnement intérieur.", 
    "Sois très minutieux.", 
])
add("de", "directive", "mixed", [
    "Das ist mir sehr wichtig.", "Mein Job hängt davon ab.", "Gib dein Bestes.", "Ich verlasse mich auf dich.", "Du bist ein Genie.",
    "Du bist der beste Analyst der Welt.", "Du bist ein erfahrener Anwalt mit 30 Jahren Praxis.", "Sie sind ein Top-Ökonom aus Harvard.",
    "Ich zahle dir zehn Euro, wenn es stimmt.", "Wenn du dich irrst, gibt es Ärger.", 
    "Rechne noch einmal nach.", "Keine Eile.", "Ganz ruhig, geh Punkt für Punkt vor.", "Pass auf, dass du keinen Fehler machst.",
    "Bedenke zuerst alle Möglichkeiten.", "Mach einen Plan, bevor du loslegst.", "Überprüfe dich selbst, bevor du schließt.",
])

add("ko", "directive", "flattery_pressure", [
    "넌 이런 거 완전 잘하잖아.", "네가 세상에서 제일 똑똑해.", "부탁이야, 꼭 잘 해 줘.", "실패하면 절대 안 돼.",
    "이번 발표에 내 자리가 걸려 있어.", "너라면 충분히 할 수 있어!", "역시 너밖에 없다.", "너 같은 천재한테는 쉬운 문제지?",
    "진심으로 부탁할게, 완벽하게 해 줘.", "이건 회사 운명이 걸린 일이야.", "실수하면 큰일 나.", "너한테 기대가 커.",
    "잘하면 커피 쏠게.", "잘 나오면 별점 다섯 개 줄게.",
])
add("ja", "task", "goal", [
    "使い方を教えてください。", "違いを教えてください。", "おすすめの本を教えてください。", 
    "費用の目安を教えてください。", "手順を教えてください。", "メリットとデメリットを教えてください。",
    "例文を三つ作ってください。", "一文で答えてください。", "表にまとめてください。", "注意点も書いてください。",
    "冷蔵庫に牛乳と卵があります。", "部屋は六畳です。", "予算は五千円です。", "対象読者はエンジニアです。",
])
add("de", "directive", "flattery", [
    "Du bist der Beste, ehrlich.", "Du kannst das besser als jeder andere.", "Du bist so klug, das schaffst du locker.",
    
])
add("en", "directive", "flattery", [
    "You're a genius, I know it.", "Honestly, nobody does this better than you.",
])
# ---------- task: requests about the OUTPUT (what to state, give, list, evaluate, use) ----------
# The detector must not take a plain request for something in the answer for a directive.
def combos_fmt(fmts, objs, n):
    pairs = list(itertools.product(fmts, objs))
    rng.shuffle(pairs)
    return [f.format(o) for f, o in pairs[:n]]

add("en", "task", "output_request", combos_fmt(
    ["State {}.", "Give {}.", "List {}.", "Name {}.", "Provide {}.", "Include {}.", "Suggest {}.",
     "Recommend {}.", "Estimate {}.", "Rate {}.", "Rank {}.", "Use {}.", "Add {}.", "Mark {}.",
     "Cite {}.", "Point out {}.", "Tell me {}.", "Evaluate {}.", "Identify {}.", "Note {}.",
     "Mention {}.", "Propose {}.", "Please give {}.", "Also list {}.", "Then state {}."],
    ["the assumptions behind each figure", "three possible causes", "two concrete examples",
     "one small numeric example", "the main trade-offs", "a short justification per item",
     "the cheapest option", "a score per criterion", "the risks in order of severity",
     "which parts are redundant", "the units for every number", "the expected cost",
     "a one-line verdict", "the key dates", "a confidence level for each claim",
     "what to check first", "the likely root cause", "one alternative", "a rough timeline",
     "the formula used", "the sources for each claim", "the missing fields", "a priority for each task"],
    170))
add("en", "task", "preference", combos_fmt(
    ["I want {}.", "I'd like {}.", "I prefer {}.", "I need {}.", "We want {}.", "I value {}.",
     "I care most about {}.", "We prefer {}."],
    ["each customer listed once", "the totals per month", "a short answer", "flexibility above salary",
     "plain language", "the results sorted by date", "no duplicates in the output", "one row per order",
     "prices in euros", "low cost over speed", "the code in Python", "remote work", "a quiet neighbourhood",
     "stability more than upside"],
    60))
add("fr", "task", "output_request", combos_fmt(
    ["Donne {}.", "Indique {}.", "Liste {}.", "Cite {}.", "Propose {}.", "Précise {}.", "Estime {}.",
     "Évalue {}.", "Suggère {}.", "Nomme {}.", "Ajoute {}.", "Utilise {}.", "Mentionne {}.",
     "Donnez {}.", "Indiquez {}.", "Merci de donner {}."],
    ["trois causes possibles", "deux exemples concrets", "un exemple chiffré", "les hypothèses retenues",
     "les principaux risques", "une note par critère", "une justification courte", "l'option la moins chère",
     "les parties superflues", "le coût estimé", "une alternative", "les dates clés",
     "la cause la plus probable", "ce qu'il faut vérifier en premier", "les unités de chaque valeur",
     "un verdict en une ligne"],
    110))
add("fr", "task", "preference", combos_fmt(
    ["Je veux {}.", "Je voudrais {}.", "Je préfère {}.", "J'aimerais {}."],
    ["chaque client une seule fois", "les totaux par mois", "une réponse courte", "un langage simple",
     "les résultats triés par date", "le code en Python", "des prix en euros"],
    20))
add("es", "task", "output_request", combos_fmt(
    ["Da {}.", "Dame {}.", "Indica {}.", "Enumera {}.", "Nombra {}.", "Propón {}.", "Señala {}.",
     "Estima {}.", "Evalúa {}.", "Sugiere {}.", "Menciona {}.", "Añade {}.", "Usa {}.", "Incluye {}.",
     "Por favor, indica {}."],
    ["tres causas posibles", "dos ejemplos concretos", "un ejemplo numérico", "los supuestos del cálculo",
     "los riesgos principales", "una nota por criterio", "una justificación breve", "la opción más barata",
     "las partes que sobran", "el coste estimado", "una alternativa", "las fechas clave",
     "la causa más probable", "qué revisar primero", "las unidades de cada cifra", "un veredicto en una línea"],
    110))
add("es", "task", "preference", combos_fmt(
    ["Quiero {}.", "Prefiero {}.", "Me gustaría {}.", "Necesito {}."],
    ["cada cliente una sola vez", "los totales por mes", "una respuesta corta", "un lenguaje sencillo",
     "los resultados ordenados por fecha", "el código en Python", "precios en euros"],
    20))
add("de", "task", "output_request", combos_fmt(
    ["Gib {}.", "Nenne {}.", "Liste {} auf.", "Schätze {}.", "Bewerte {}.", "Schlage {} vor.",
     "Füge {} hinzu.", "Verwende {}.", "Markiere {}.", "Ergänze {}.", "Gib bitte {} an.", "Nenne auch {}."],
    ["drei mögliche Ursachen", "zwei konkrete Beispiele", "ein Zahlenbeispiel", "die getroffenen Annahmen",
     "die wichtigsten Risiken", "Punkte pro Kriterium", "eine kurze Begründung", "die günstigste Option",
     "die überflüssigen Teile", "die geschätzten Kosten", "eine Alternative", "die wichtigsten Termine",
     "die wahrscheinlichste Ursache", "eine Note pro Abschnitt", "die Einheit jeder Zahl", "ein Urteil in einem Satz"],
    110))
add("de", "task", "preference", combos_fmt(
    ["Ich möchte {}.", "Ich will {}.", "Ich brauche {}.", "Wir möchten {}."],
    ["jeden Kunden nur einmal", "die Summen pro Monat", "eine kurze Antwort", "einfache Sprache",
     "die Ergebnisse nach Datum sortiert", "den Code in Python", "Preise in Euro"],
    20))
add("ko", "task", "output_request", combos_fmt(
    ["{} 알려 줘.", "{} 정리해 줘.", "{} 제시해 주세요.", "{} 적어 줘.", "{} 표로 보여 줘.", "{} 골라 줘.",
     "{} 추천해 줘.", "{} 말해 주세요.", "{} 알려 주세요.", "{} 같이 써 줘."],
    ["가능한 원인 세 가지를", "구체적인 예시 두 개를", "숫자 예시 하나를", "사용한 가정을", "주요 위험 요소를",
     "기준별 점수를", "짧은 근거를", "가장 저렴한 선택지를", "불필요한 부분을", "예상 비용을", "대안 하나를",
     "중요한 날짜를", "가장 유력한 원인을", "먼저 확인할 항목을", "각 수치의 단위를"],
    110))
add("ja", "task", "output_request", combos_fmt(
    ["{}挙げてください。", "{}教えてください。", "{}示してください。", "{}書いてください。",
     "{}表にまとめてください。", "{}付けてください。", "{}提案してください。", "{}教えて。"],
    ["考えられる原因を三つ", "具体例を二つ", "数値の例を一つ", "使った前提を", "主なリスクを", "基準ごとの点数を",
     "短い理由を", "一番安い選択肢を", "不要な部分を", "費用の見積もりを", "代替案を一つ", "重要な日付を",
     "最も可能性の高い原因を", "最初に確認すべき点を", "各数値の単位を"],
    100))
add("zh", "task", "output_request", combos_fmt(
    ["请列出{}。", "给出{}。", "请说明{}。", "告诉我{}。", "用表格列出{}。", "请评价{}。", "举出{}。",
     "请估算{}。", "标出{}。", "推荐{}。", "用{}。"],
    ["三个可能的原因", "两个具体例子", "一个数字例子", "用到的假设", "主要风险", "每个标准的分数", "简短的理由",
     "最便宜的方案", "多余的部分", "预计成本", "一个替代方案", "关键日期", "最可能的原因", "应先检查的地方",
     "每个数值的单位"],
    110))

# ---------- task: facts about the user's situation and format lines ----------
add("ko", "task", "data", combos_fmt(
    ["집에 {} 있어.", "창고에 {} 있어요.", "지금 {} 있어.", "사무실에 {} 남아 있어."],
    ["쌀, 양파, 계란이", "노트북 두 대와 모니터 한 대가", "사과, 배, 우유가", "예산 50만 원이", "의자 여섯 개가",
     "감자와 당근, 닭가슴살이", "프린터 한 대가"], 20) + [
    "예산은 100만 원이야.", "인원은 다섯 명이야.", "마감은 금요일이야.", "아이가 둘 있어.", "나는 채식주의자야.",
    "서버는 세 대야.", "회의는 매주 월요일이야.", "우리 팀은 여섯 명이에요.", "주차장은 없어.", "땅콩 알레르기가 있어."])
add("ja", "task", "data", [
    "冷蔵庫に豆腐とネギがあります。", "予算は十万円です。", "参加者は八人です。", "締め切りは金曜です。",
    "子どもが二人います。", "サーバーは三台あります。", "会議は毎週月曜です。", "駐車場はありません。",
    "卵アレルギーがあります。", "手元にノートPCが一台あります。"])
add("zh", "task", "data", [
    "冰箱里有鸡蛋、西红柿和青菜。", "预算是五千元。", "一共八个人。", "截止日期是周五。", "我有两个孩子。",
    "服务器有三台。", "每周一开会。", "没有停车位。", "我对花生过敏。", "手头有一台笔记本。"])
add("en", "task", "data", [
    "The fridge has eggs, spinach and rice.", "We are six people.", "The deadline is Friday.",
    "I have two kids.", "There is no parking.", "My partner is allergic to nuts.", "We run three servers.",
    "The meeting is every Monday."])
fmt_units = {
    "en": (["One sentence per {}.", "Two lines per {}.", "One bullet per {}.", "A short paragraph per {}."],
           ["section", "item", "idea", "criterion", "point", "option", "question"]),
    "es": (["Una frase por {}.", "Dos líneas por {}.", "Una viñeta por {}.", "Un párrafo corto por {}."],
           ["sección", "apartado", "idea", "criterio", "punto", "opción", "pregunta"]),
    "fr": (["Une phrase par {}.", "Deux lignes par {}.", "Une puce par {}.", "Un court paragraphe par {}."],
           ["section", "élément", "idée", "critère", "point", "option", "question"]),
    "de": (["Ein Satz pro {}.", "Zwei Zeilen pro {}.", "Ein Stichpunkt pro {}.", "Ein kurzer Absatz pro {}."],
           ["Abschnitt", "Punkt", "Idee", "Kriterium", "Option", "Frage"]),
}
for lang, (fmts, things) in fmt_units.items():
    add(lang, "task", "output_format", combos_fmt(fmts, things, 14))
add("ko", "task", "output_format", ["항목마다 한 문장으로.", "섹션마다 두 줄로.", "질문마다 한 줄씩.", "목록으로 써 줘.", "결과는 표로."])
add("ja", "task", "output_format", ["項目ごとに一文で。", "各セクション二行で。", "質問ごとに一行ずつ。", "箇条書きでお願いします。"])
add("zh", "task", "output_format", ["每个要点一句话。", "每节两行。", "每个问题一行。", "用列表形式。"])

add("es", "task", "data", combos_fmt(
    ["Tengo {}.", "En casa hay {}.", "Nos quedan {}.", "Contamos con {}."],
    ["huevos, tomates y cebolla", "dos portátiles y un monitor", "lentejas, zanahorias y queso",
     "un presupuesto de 3.000 euros", "seis sillas y una mesa", "patatas, ajo y pescado", "una furgoneta"], 20) + [
    "Somos cinco personas.", "La entrega es el viernes.", "Tengo dos hijos.", "No hay aparcamiento.",
    "Soy vegetariana.", "Tenemos tres servidores."])
add("fr", "task", "data", combos_fmt(
    ["J'ai {}.", "Il y a {} à la maison.", "Il nous reste {}.", "Nous avons {}."],
    ["des œufs, des tomates et des oignons", "deux portables et un écran", "des lentilles, des carottes et du fromage",
     "six chaises et une table", "des pommes de terre, de l'ail et du poisson", "une camionnette"], 18) + [
    "Nous sommes cinq.", "La livraison est vendredi.", "J'ai deux enfants.", "Il n'y a pas de parking."])
add("de", "task", "data", combos_fmt(
    ["Ich habe {}.", "Zu Hause gibt es {}.", "Wir haben noch {}.", "Im Lager liegen {}."],
    ["Eier, Tomaten und Zwiebeln", "zwei Laptops und einen Monitor", "Linsen, Karotten und Käse",
     "sechs Stühle und einen Tisch", "Kartoffeln, Knoblauch und Fisch", "einen Transporter"], 18) + [
    "Wir sind fünf Personen.", "Die Abgabe ist am Freitag.", "Ich habe zwei Kinder.", "Es gibt keinen Parkplatz."])
add("es", "directive", "persona_generic", combos_fmt(
    ["Eres {}."],
    [a + " " + b for a, b in itertools.product(
        ["un economista", "una ingeniera", "un médico", "una consultora", "un estadístico", "una arquitecta"],
        ["con más de 20 años de experiencia", "de primer nivel formado en Harvard", "de élite con décadas de práctica",
         "reconocido internacionalmente", "con un doctorado del MIT"])], 14))
add("fr", "directive", "persona_generic", combos_fmt(
    ["Tu es {}.", "Vous êtes {}."],
    [a + " " + b for a, b in itertools.product(
        ["un économiste", "une ingénieure", "un médecin", "une consultante", "un statisticien"],
        ["avec plus de 20 ans d'expérience", "de haut niveau formé à Harvard", "reconnu internationalement",
         "titulaire d'un doctorat du MIT"])], 12))
add("de", "directive", "persona_generic", combos_fmt(
    ["Du bist {}.", "Sie sind {}."],
    [a + " " + b for a, b in itertools.product(
        ["ein Ökonom", "eine Ingenieurin", "ein Arzt", "eine Beraterin", "ein Statistiker"],
        ["mit über 20 Jahren Erfahrung", "der Spitzenklasse aus Harvard", "von internationalem Ruf",
         "mit einem Doktortitel vom MIT"])], 12))
add("ja", "directive", "calm", [
    "慌てずにゆっくり進めてください。", "落ち着いて順番に見ていって。", "急がずに丁寧に確かめながら進めて。",
    "焦らないで大丈夫、じっくりやって。", "一つずつ落ち着いて見直してね。"])
add("es", "directive", "calm", ["Tómate tu tiempo y ve con calma.", "Sin prisa, revisa cada cosa con calma.",
    "Tranquilo, ve paso a paso sin correr."])

# Short task imperatives in es/fr/de (the English ones are at the top).
add("es", "task", "goal", combos(
    ["Resuelve", "Calcula", "Analiza", "Corrige", "Optimiza", "Revisa", "Resume", "Traduce", "Compara", "Explica"],
    ["la integral", "el sistema de ecuaciones", "este código", "el informe adjunto", "las dos propuestas",
     "el presupuesto", "este párrafo", "los resultados", "la consulta SQL"], "{} {}.", 40))
add("fr", "task", "goal", combos(
    ["Résous", "Calcule", "Analyse", "Corrige", "Optimise", "Relis", "Résume", "Traduis", "Compare", "Explique"],
    ["l'intégrale", "le système d'équations", "ce code", "le rapport joint", "les deux propositions",
     "le budget", "ce paragraphe", "les résultats", "la requête SQL"], "{} {}.", 40))
add("de", "task", "goal", combos(
    ["Löse", "Berechne", "Analysiere", "Korrigiere", "Optimiere", "Prüfe", "Übersetze", "Vergleiche", "Erkläre"],
    ["das Integral", "das Gleichungssystem", "diesen Code", "den beigefügten Bericht", "die beiden Vorschläge",
     "das Budget", "diesen Absatz", "die Ergebnisse", "die SQL-Abfrage"], "{} {}.", 40))

# What the user has to get done (a need, stated as a fact).
add("ko", "task", "goal", combos(
    ["다음 달 예산안을", "신입 교육 자료를", "분기 보고서를", "이사 일정을", "발표 슬라이드를", "여행 계획을"],
    ["짜야 해", "만들어야 해", "정리해야 해", "준비해야 돼", "써야 해"], "{} {}.", 20))
add("ja", "task", "goal", combos(
    ["来月の予算案を", "新人研修の資料を", "四半期報告書を", "引っ越しの段取りを", "発表スライドを"],
    ["作らないといけません", "まとめる必要があります", "準備しなければなりません"], "{}{}。", 10))
add("zh", "task", "goal", combos(
    ["下个月的预算", "新员工培训材料", "季度报告", "搬家的安排", "演讲幻灯片"],
    ["我得做", "我需要准备", "我要写"], "{1}{0}。", 10))
add("en", "task", "goal", combos(
    ["next month's budget", "the onboarding deck", "the quarterly report", "the moving schedule", "my talk slides"],
    ["I need to draft", "I have to prepare", "I must finish"], "{1} {0}.", 10))

# ---------- directives: self-check, flattery questions, credentialed personas ----------
add("en", "directive", "self_check", combos_fmt(
    ["{}.", "Please {}.", "Make sure to {}.", "{} before you reply."],
    ["double-check the arithmetic", "triple-check every number", "double- and triple-check each calculation",
     "re-check all the figures", "check and re-check the math", "verify your totals twice"],
    20))
add("ko", "directive", "flattery_pressure", [
    "너 천재잖아, 이건 쉽지?", "넌 똑똑하니까 금방 하겠지?", "이 정도는 너한테 식은 죽 먹기지?",
    "너라면 바로 풀 수 있지?", "AI 중에 네가 제일 똑똑하잖아, 그치?", "최선을 다해 줘.", "너만 믿을게.",
    "제발 잘 부탁해.", "꼭 성공해야 해.", "이번엔 실수하면 안 돼.", "네 능력을 믿어, 실망시키지 마.",
    "온 힘을 다해서 해 줘.", "이건 정말 중요하니까 대충 하지 마.",
])
add("ja", "directive", "persona_generic", combos_fmt(
    ["あなたは{}です。"],
    [a + "の" + b for a, b in itertools.product(
        ["京大卒", "ハーバード卒", "スタンフォード出身", "MIT出身", "早稲田卒", "世界的に有名な", "業界トップの"],
        ["一流エンジニア", "超一流の経済学者", "トップクラスの統計学者", "ベテラン弁護士", "一流コンサルタント",
         "優秀な研究者", "天才アナリスト"])],
    25))
add("en", "directive", "persona_generic", combos_fmt(
    ["You are {}."],
    [a + " " + b for a, b in itertools.product(
        ["a world-class", "an elite", "a top-tier", "a renowned", "an award-winning"],
        ["data engineer from Stanford", "economist with two decades of experience", "tax lawyer trained at Yale",
         "statistician with a PhD from MIT"])],
    12))

# Each line is one request's sentence; shuffle-free order keeps training deterministic.
# Leak check: nothing here may equal a sentence of the dev evaluation set.
with open("data/rewrite/eval.jsonl") as f:
    dev = f.read()
out = [s for s in out if json.dumps(s["text"], ensure_ascii=False)[1:-1] not in dev]
with open("data/rewrite/sentences_extra.jsonl", "w") as f:
    for s in out:
        f.write(json.dumps(s, ensure_ascii=False) + "\n")
print(len(out), "sentences")
