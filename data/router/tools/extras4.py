# Chat-side writing and extraction tasks with detailed instructions (long asks that are still
# System 1), plus short riddles and lateral puzzles (reasoning).
CHAT = {
"en": [
    "Write a cozy short story (about 200 words) about a cat who runs a bookshop, with a gentle twist at the end.",
    "Describe a mysterious lighthouse keeper using rich sensory details. Keep it under two paragraphs.",
    "Draft a friendly email to my team announcing that Friday's standup is cancelled, in a light tone, max 5 sentences.",
    "Write a product description for a bamboo toothbrush: eco-friendly angle, 3 bullet points, one catchy headline.",
    "Give me a motivational speech opening for a high school graduation, two paragraphs, inspiring but not cheesy.",
    "From the text below, list every city mentioned, one per line, in the order they appear: 'We flew from Boston to Paris, took a train to Lyon and finally drove to Geneva.'",
    "Pull out the name, date and amount from this receipt line and format them as 'name | date | amount': 'Blue Door Cafe, 2024-03-02, total 18.40 EUR'.",
    "Explain what inflation is to a 10-year-old in a short paragraph.",
    "Write a limerick about a programmer who forgot to save her work.",
    "Create a weekly meal plan outline for a vegetarian, just dish names for lunch and dinner.",
],
"ko": [
    "책방을 운영하는 고양이에 대한 따뜻한 짧은 이야기를 200자 정도로 써 줘. 마지막에 작은 반전도 넣어 줘.",
    "등대지기 캐릭터를 생생한 감각 묘사로 두 문단 이내로 묘사해 줘.",
    "금요일 스탠드업 회의가 취소됐다고 팀에 알리는 가벼운 톤의 공지 메일을 다섯 문장 이내로 써 줘.",
    "대나무 칫솔 상품 설명을 써 줘. 친환경 포인트로 글머리 기호 3개와 눈에 띄는 제목 하나.",
    "다음 문장에 나오는 도시 이름을 순서대로 한 줄에 하나씩 적어 줘: 우리는 서울에서 부산으로 갔다가 대구를 거쳐 광주에 도착했다.",
    "인플레이션을 열 살 아이에게 설명하듯 짧게 알려 줘.",
],
"ja": [
    "本屋を営む猫の心温まる短いお話を200字くらいで書いて。最後にちょっとしたオチもつけてください。",
    "灯台守の人物像を、五感に訴える描写で2段落以内で描写してください。",
    "金曜の朝会が中止になったことをチームに知らせる軽い調子のメールを5文以内で書いてください。",
    "竹の歯ブラシの商品説明を書いてください。エコの観点で箇条書き3つと、キャッチコピーを1つ。",
    "次の文に出てくる都市名を順番に1行ずつ書き出して:東京から大阪へ行き、京都を経由して名古屋に戻った。",
    "インフレを10歳の子どもにもわかるように短く説明して。",
],
"zh": [
    "写一个关于猫咪经营书店的温馨小故事,200字左右,结尾来个小反转。",
    "用丰富的感官描写刻画一个灯塔看守人,不超过两段。",
    "帮我写一封轻松的邮件通知团队周五早会取消,不超过五句话。",
    "写一段竹牙刷的商品描述:突出环保,三个要点加一个吸引人的标题。",
    "按出现顺序列出下面这句话里的城市,每行一个:我们从北京飞到上海,又坐高铁去了杭州,最后到了南京。",
    "用简单的话给十岁小孩解释什么是通货膨胀。",
],
"es": [
    "Escribe un cuento corto y tierno (unas 200 palabras) sobre un gato que lleva una librería, con un pequeño giro final.",
    "Describe a un farero misterioso con detalles sensoriales, en menos de dos párrafos.",
    "Redacta un correo informal para avisar al equipo de que se cancela la reunión del viernes, máximo cinco frases.",
    "Escribe la descripción de un cepillo de dientes de bambú: enfoque ecológico, tres viñetas y un titular llamativo.",
    "Enumera en orden las ciudades que aparecen, una por línea: 'Volamos de Madrid a Lisboa, luego fuimos en tren a Oporto y terminamos en Vigo.'",
    "Explícale a un niño de diez años qué es la inflación, en un párrafo corto.",
],
"de": [
    "Schreib eine gemütliche Kurzgeschichte (etwa 200 Wörter) über eine Katze, die eine Buchhandlung führt, mit einer kleinen Wendung am Ende.",
    "Beschreibe einen geheimnisvollen Leuchtturmwärter mit vielen Sinneseindrücken, höchstens zwei Absätze.",
    "Entwirf eine lockere E-Mail ans Team, dass das Freitags-Standup ausfällt, höchstens fünf Sätze.",
    "Schreib eine Produktbeschreibung für eine Bambuszahnbürste: Umweltaspekt, drei Stichpunkte, eine knackige Überschrift.",
    "Liste die Städte aus diesem Satz der Reihe nach auf, eine pro Zeile: 'Wir fuhren von München nach Wien, dann weiter nach Prag und zurück nach Dresden.'",
    "Erkläre einem Zehnjährigen in einem kurzen Absatz, was Inflation ist.",
],
"fr": [
    "Écris une petite histoire douce (environ 200 mots) sur un chat qui tient une librairie, avec une légère chute à la fin.",
    "Décris un gardien de phare mystérieux avec des détails sensoriels, en deux paragraphes maximum.",
    "Rédige un e-mail léger pour prévenir l'équipe que le point du vendredi est annulé, cinq phrases maximum.",
    "Écris une fiche produit pour une brosse à dents en bambou : angle écologique, trois puces et un titre accrocheur.",
    "Liste dans l'ordre les villes citées, une par ligne : « Nous sommes partis de Lille pour Paris, puis Dijon, et enfin Lyon. »",
    "Explique l'inflation à un enfant de dix ans en un court paragraphe.",
],
}

REASON = {
"en": [
    "A man pushes his car to a hotel and tells the owner he's bankrupt. Why? Reason through the possibilities before answering.",
    "You're in a room with three light switches; one controls a bulb in another room you can enter only once. How do you find which switch it is? Justify why it always works.",
    "A farmer must ferry a wolf, a goat and a cabbage across a river in a boat that holds one item. Find a safe sequence and show no shorter one exists.",
],
"ko": ["불이 꺼진 방에 스위치 세 개가 있고 그중 하나만 다른 방 전구와 연결돼 있어. 그 방에는 한 번만 들어갈 수 있을 때 어떤 스위치인지 알아내는 방법과 그게 항상 통하는 이유를 설명해 줘."],
"ja": ["農夫がオオカミとヤギとキャベツを、1つしか載せられない舟で川向こうへ運ぶ。安全な手順を求め、それより短い手順がないことを示してください。"],
"zh": ["农夫要用一次只能带一样东西的小船把狼、羊和白菜运过河。请给出安全的方案,并说明没有更短的方案。"],
"es": ["Un granjero debe cruzar un río con un lobo, una cabra y una col en una barca donde solo cabe uno. Encuentra una secuencia segura y demuestra que no hay otra más corta."],
"de": ["Ein Bauer muss Wolf, Ziege und Kohlkopf mit einem Boot über den Fluss bringen, das nur eines davon fasst. Finde eine sichere Reihenfolge und zeige, dass es keine kürzere gibt."],
"fr": ["Un fermier doit faire traverser une rivière à un loup, une chèvre et un chou avec une barque qui n'en porte qu'un. Trouve une séquence sûre et montre qu'il n'y en a pas de plus courte."],
}
