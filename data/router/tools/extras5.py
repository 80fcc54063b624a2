# Fifth batch: more everyday chat and more varied hard asks per language (no shared templates).
CHAT = {
"ko": [
    "요즘 볼 만한 드라마 있어?", "강아지가 밥을 잘 안 먹는데 왜 그럴까?", "서울에서 부산까지 KTX로 얼마나 걸려?",
    "감기 걸렸을 때 먹으면 좋은 음식 알려줘", "이메일 마무리 인사 자연스럽게 하나 써 줘", "'열정'이라는 단어로 삼행시 지어 줘",
    "파이썬에서 문자열을 정수로 바꾸는 법", "리눅스에서 파일 크기 보는 명령어", "오늘 회의 참석 못 한다고 정중하게 말하는 문장 써 줘",
    "배송지 변경하고 싶은데 어떻게 해요?", "주말에 혼자 할 만한 취미 추천해 줘", "10km 달리기 기록 50분이면 페이스가 km당 몇 분이야?",
    "'미안해'를 스페인어로 뭐라고 해?", "너는 이제부터 카페 직원이야. 내가 주문할게. 아이스 아메리카노 하나요!",
],
"ja": [
    "最近おすすめのドラマある?", "犬がご飯をあまり食べないんだけど、なんでだろう?", "東京から大阪まで新幹線でどれくらい?",
    "風邪のときに食べるといいものを教えて", "メールの締めの挨拶を自然な感じで一つ書いて", "「情熱」という言葉を使ってキャッチコピーを考えて",
    "Pythonで文字列を整数に変換する方法は?", "Linuxでファイルサイズを確認するコマンドは?", "今日の会議に出られないことを丁寧に伝える文を書いて",
    "配送先を変更したいのですが、どうすればいいですか?", "週末に一人でできる趣味を教えて", "10kmを50分で走ったら1kmあたり何分?",
    "「ごめんね」はスペイン語で何て言う?", "あなたはカフェの店員です。注文します。アイスコーヒーを一つください!",
],
"zh": [
    "最近有什么好看的电视剧吗?", "我家狗最近不怎么吃饭,可能是什么原因?", "从北京坐高铁到上海要多久?",
    "感冒的时候吃什么比较好?", "帮我写一句自然的邮件结尾", "用“热情”写一句广告语",
    "Python里怎么把字符串转成整数?", "Linux怎么查看文件大小?", "帮我写一句话,礼貌地说明今天不能参加会议",
    "我想改一下收货地址,怎么操作?", "推荐一些周末一个人可以做的爱好", "10公里跑了50分钟,平均配速是每公里几分钟?",
    "“对不起”用西班牙语怎么说?", "你现在是咖啡店店员,我来点单:一杯冰美式!",
],
"es": [
    "¿Alguna serie buena para ver estos días?", "Mi perro casi no come últimamente, ¿por qué puede ser?", "¿Cuánto tarda el AVE de Madrid a Barcelona?",
    "¿Qué es bueno comer cuando estás resfriado?", "Escríbeme una despedida natural para un correo", "Inventa un eslogan con la palabra 'pasión'",
    "¿Cómo convierto un string a entero en Python?", "¿Qué comando muestra el tamaño de un archivo en Linux?", "Escribe una frase educada diciendo que hoy no puedo ir a la reunión",
    "Quiero cambiar la dirección de envío, ¿cómo lo hago?", "Recomiéndame aficiones para hacer solo el fin de semana", "Si corro 10 km en 50 minutos, ¿a qué ritmo por km voy?",
    "¿Cómo se dice 'lo siento' en japonés?", "Eres camarero en una cafetería y yo pido: ¡un café con leche, por favor!",
],
"de": [
    "Gibt es gerade eine gute Serie?", "Mein Hund frisst kaum noch, woran kann das liegen?", "Wie lange braucht der ICE von Hamburg nach München?",
    "Was isst man am besten bei einer Erkältung?", "Schreib mir einen natürlichen Schlusssatz für eine E-Mail", "Denk dir einen Werbespruch mit dem Wort 'Leidenschaft' aus",
    "Wie wandle ich in Python einen String in eine Zahl um?", "Welcher Befehl zeigt unter Linux die Dateigröße an?", "Formuliere höflich, dass ich heute nicht am Meeting teilnehmen kann",
    "Ich möchte die Lieferadresse ändern, wie geht das?", "Welche Hobbys kann man am Wochenende allein machen?", "Ich laufe 10 km in 50 Minuten, wie ist meine Pace pro Kilometer?",
    "Was heißt 'Entschuldigung' auf Japanisch?", "Du bist Kellner in einem Café und ich bestelle: einen Cappuccino, bitte!",
],
"fr": [
    "Tu as une bonne série à me conseiller ?", "Mon chien ne mange presque plus, ça peut venir de quoi ?", "Combien de temps en TGV entre Paris et Marseille ?",
    "Qu'est-ce qu'on mange quand on est enrhumé ?", "Écris-moi une formule de fin d'e-mail naturelle", "Invente un slogan avec le mot « passion »",
    "Comment convertir une chaîne en entier en Python ?", "Quelle commande affiche la taille d'un fichier sous Linux ?", "Écris une phrase polie pour dire que je ne peux pas venir à la réunion",
    "Je voudrais changer l'adresse de livraison, comment faire ?", "Quels loisirs faire seul le week-end ?", "Si je cours 10 km en 50 minutes, quelle est mon allure au kilomètre ?",
    "Comment dit-on « désolé » en japonais ?", "Tu es serveur dans un café et je commande : un crème, s'il vous plaît !",
],
"en": [
    "Any good shows to binge this weekend?", "My dog has barely eaten for two days, what could be going on?", "How long is the train from London to Edinburgh?",
    "What should I eat when I have a cold?", "Give me a natural sign-off line for an email", "Come up with a slogan using the word 'passion'",
    "How do I convert a string to an int in Python?", "What's the Linux command to see a file's size?", "Write a polite line saying I can't make today's meeting",
    "I want to change my delivery address, how do I do that?", "Suggest some hobbies I can do alone on weekends", "If I run 10 km in 50 minutes, what's my pace per km?",
    "How do you say 'sorry' in Japanese?", "You're a waiter at a cafe and I'm ordering: one flat white, please!",
],
}

REASON = {
"ko": [
    "정수 n에 대해 n^2이 짝수이면 n도 짝수임을 대우를 이용해 증명하라.", "두 사람이 0에서 1 사이의 수를 무작위로 고를 때 두 수의 차이가 0.5보다 작을 확률을 구하고 과정을 보여 줘.",
    "연결 리스트에 사이클이 있는지 O(1) 공간으로 판별하고 사이클 시작점까지 찾는 알고리즘을 설명하고 정당성을 증명해 줘.", "카프카 컨슈머 랙이 밤마다 급증하는 원인을 찾기 위한 조사 계획을 가설별로 세워 줘.",
    "우리 회사 신규 서비스 출시 로드맵을 짜 줘. 법무 검토가 끝나야 마케팅을 시작할 수 있고, 베타 테스트 결과에 따라 가격이 정해져.", "다섯 명 중 세 명만 진실을 말하는 상황에서 누가 거짓말쟁이인지 찾는 퍼즐을 풀어 줘. A는 B가 거짓말쟁이라고, B는 C가, C는 D와 E가 둘 다 거짓말쟁이라고, D는 A가 진실을 말한다고, E는 B가 진실을 말한다고 했어.",
    "세 가지 클라우드 요금제를 우리 트래픽 패턴 기준으로 비교 평가하고, 비용 민감도 분석까지 포함해서 추천해 줘.", "타입스크립트로 재시도, 지수 백오프, 서킷 브레이커를 갖춘 HTTP 클라이언트 래퍼를 구현하고 테스트도 작성해 줘.",
],
"ja": [
    "整数nについて、n^2が偶数ならnも偶数であることを対偶を用いて証明せよ。", "2人が0から1の数を無作為に選ぶとき、2数の差が0.5未満になる確率を求め、過程を示してください。",
    "連結リストに循環があるかをO(1)空間で判定し、循環の開始点まで求めるアルゴリズムを説明し、正しさを証明してください。", "Kafkaのコンシューマーラグが毎晩急増する原因を調べるため、仮説ごとの調査計画を立ててください。",
    "新サービスのリリース計画を作ってください。法務レビューが終わるまでマーケティングは始められず、ベータテストの結果で価格が決まります。", "5人のうち3人だけが本当のことを言っている。Aは「Bは嘘つき」、Bは「Cは嘘つき」、Cは「DもEも嘘つき」、Dは「Aは正直」、Eは「Bは正直」と言った。誰が嘘つきか求めよ。",
    "3つのクラウド料金プランを当社のトラフィックパターンに基づいて比較評価し、コストの感度分析も含めて推奨してください。", "TypeScriptでリトライ、指数バックオフ、サーキットブレーカーを備えたHTTPクライアントのラッパーを実装し、テストも書いてください。",
],
"zh": [
    "用逆否命题证明:对整数n,若n^2是偶数,则n是偶数。", "两个人各自在0到1之间随机选一个数,两数之差小于0.5的概率是多少?请写出过程。",
    "说明如何用O(1)空间判断链表是否有环并找到环的入口,并证明算法正确。", "我们的Kafka消费延迟每天晚上都会暴涨,请按不同假设制定排查计划。",
    "帮我们制定新服务上线路线图:法务审核结束后才能开始营销,定价要根据内测结果决定。", "五个人里只有三个人说真话。A说B撒谎,B说C撒谎,C说D和E都撒谎,D说A说的是真话,E说B说的是真话。谁在撒谎?",
    "根据我们的流量模式,对比评估三种云服务计费方案,并做成本敏感性分析后给出推荐。", "用TypeScript实现一个带重试、指数退避和熔断器的HTTP客户端封装,并编写测试。",
],
"es": [
    "Demuestra por contraposición que si n^2 es par entonces n es par.", "Dos personas eligen al azar un número entre 0 y 1. ¿Probabilidad de que difieran en menos de 0,5? Muestra el razonamiento.",
    "Explica cómo detectar un ciclo en una lista enlazada con memoria O(1), encontrar dónde empieza y demuestra que funciona.", "El lag de nuestros consumidores de Kafka se dispara cada noche: plantea hipótesis y un plan de investigación para cada una.",
    "Arma la hoja de ruta del lanzamiento: marketing no puede empezar hasta que termine la revisión legal y el precio depende de la beta.", "De cinco personas solo tres dicen la verdad. A dice que B miente, B que C miente, C que D y E mienten, D que A dice la verdad y E que B dice la verdad. ¿Quién miente?",
    "Compara tres planes de precios cloud según nuestro patrón de tráfico, con análisis de sensibilidad de costes, y recomienda uno.", "Implementa en TypeScript un cliente HTTP con reintentos, backoff exponencial y circuit breaker, con sus tests.",
],
"de": [
    "Beweise per Kontraposition: Wenn n^2 gerade ist, dann ist n gerade.", "Zwei Personen wählen zufällig je eine Zahl zwischen 0 und 1. Wie wahrscheinlich unterscheiden sie sich um weniger als 0,5? Mit Herleitung.",
    "Erkläre, wie man mit O(1) Speicher einen Zyklus in einer verketteten Liste erkennt und seinen Anfang findet, und beweise die Korrektheit.", "Unser Kafka-Consumer-Lag explodiert jede Nacht. Stelle Hypothesen auf und einen Untersuchungsplan für jede.",
    "Erstelle eine Roadmap für den Launch: Marketing darf erst nach der Rechtsprüfung starten, und der Preis hängt vom Betatest ab.", "Von fünf Personen sagen nur drei die Wahrheit. A sagt, B lügt; B sagt, C lügt; C sagt, D und E lügen; D sagt, A sagt die Wahrheit; E sagt, B sagt die Wahrheit. Wer lügt?",
    "Vergleiche drei Cloud-Preismodelle anhand unseres Traffic-Musters inklusive Sensitivitätsanalyse der Kosten und gib eine Empfehlung.", "Implementiere in TypeScript einen HTTP-Client mit Retries, exponentiellem Backoff und Circuit Breaker, samt Tests.",
],
"fr": [
    "Démontre par contraposée que si n^2 est pair alors n est pair.", "Deux personnes choisissent chacune un nombre au hasard entre 0 et 1. Quelle est la probabilité que leur écart soit inférieur à 0,5 ? Détaille.",
    "Explique comment détecter un cycle dans une liste chaînée en mémoire O(1), trouver son début, et prouve la correction.", "Le lag de nos consommateurs Kafka explose chaque nuit : formule des hypothèses et un plan d'investigation pour chacune.",
    "Établis la feuille de route du lancement : le marketing ne peut démarrer qu'après la revue juridique et le prix dépend de la bêta.", "Sur cinq personnes, trois seulement disent la vérité. A dit que B ment, B que C ment, C que D et E mentent, D que A dit vrai, E que B dit vrai. Qui ment ?",
    "Compare trois offres cloud selon notre profil de trafic, avec une analyse de sensibilité des coûts, et recommande-en une.", "Implémente en TypeScript un client HTTP avec réessais, backoff exponentiel et disjoncteur, avec les tests.",
],
"en": [
    "Prove by contrapositive that if n^2 is even then n is even.", "Two people each pick a random number between 0 and 1. What's the probability they differ by less than 0.5? Show the reasoning.",
    "Explain how to detect a cycle in a linked list in O(1) space, find where it starts, and prove it works.", "Our Kafka consumer lag spikes every night. Lay out hypotheses and an investigation plan for each.",
    "Build the launch roadmap: marketing can't start until legal review is done, and pricing depends on beta results.", "Of five people only three tell the truth. A says B lies, B says C lies, C says D and E both lie, D says A tells the truth, E says B tells the truth. Who is lying?",
    "Compare three cloud pricing plans against our traffic pattern, including a cost sensitivity analysis, and recommend one.", "Implement an HTTP client wrapper in TypeScript with retries, exponential backoff and a circuit breaker, with tests.",
],
}
