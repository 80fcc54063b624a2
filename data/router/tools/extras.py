# More hand-written asks: reasoning without digits (code writing, design, logic, judging, planning,
# reports) and chat over numeric tables, in every language.
REASON = {
"en": [
    "Write a Python class implementing a trie with insert, delete and prefix search, plus unit tests for the tricky deletion cases.",
    "Implement Dijkstra's algorithm in Go with a binary heap and explain why it fails with negative edges.",
    "Build a React hook for infinite scrolling that cancels stale requests and handles race conditions; explain the design.",
    "Design the data model and API for a collaborative to-do app with sharing, permissions and offline sync conflicts.",
    "Refactor this idea into a proper architecture: a monolith that sends emails, resizes images and bills customers in one request handler. Propose services, queues and failure handling.",
    "Who is lying? Alice says Bob lies. Bob says Carol lies. Carol says both Alice and Bob lie. Work it out carefully.",
    "Here are two candidate answers to 'Explain recursion to a child'. Judge them on accuracy, clarity and age-appropriateness and pick a winner with reasons.\nA: Recursion is when a function calls itself until a base case.\nB: Imagine Russian dolls: you open one and find a smaller one inside, until the tiniest doll that doesn't open.",
    "Write a detailed comparison report of three note-taking strategies for university students, with criteria, evidence, and a recommendation for different study styles.",
    "Create a study plan to prepare for a cloud architect certification while working full time, with topics ordered by prerequisites and weekly checkpoints.",
    "Analyze the trade-offs between optimistic and pessimistic locking for an inventory system where overselling is unacceptable, and recommend one with a failure analysis.",
    "Critique the experimental design: a company gave a new onboarding flow to users who signed up on weekends and compared their retention with weekday users.",
    "Write unit and property-based tests for a function that normalizes Unicode email addresses, covering the edge cases you can think of.",
    "Is the following argument valid? All managers attend the meeting. Some engineers attend the meeting. Therefore some engineers are managers. Explain formally.",
    "Explain step by step how to find the bug when a multithreaded producer-consumer queue occasionally loses items, and what instrumentation you'd add.",
],
"ko": [
    "자바로 트라이 자료구조를 구현하고 삭제의 까다로운 경우에 대한 단위 테스트를 작성해 줘.",
    "공유, 권한, 오프라인 동기화 충돌까지 고려한 협업 할 일 앱의 데이터 모델과 API를 설계해 줘.",
    "철수는 영희가 거짓말한다고 했고, 영희는 민수가 거짓말한다고 했고, 민수는 철수와 영희 둘 다 거짓말한다고 했다. 누가 진실을 말하는지 차근차근 따져 줘.",
    "대학생을 위한 세 가지 노트 필기 방법을 기준을 세워 비교하는 보고서를 써 주고, 학습 스타일별로 추천해 줘.",
    "재고 시스템에서 낙관적 잠금과 비관적 잠금의 장단점을 분석하고, 과판매가 절대 안 되는 상황에서 무엇을 쓸지 근거와 함께 추천해 줘.",
    "주말에 가입한 사용자에게만 새 온보딩을 적용하고 평일 가입자와 리텐션을 비교한 실험 설계의 문제점을 비판해 줘.",
    "모든 관리자는 회의에 참석한다. 일부 엔지니어는 회의에 참석한다. 따라서 일부 엔지니어는 관리자다. 이 논증이 타당한지 형식적으로 설명해 줘.",
    "멀티스레드 생산자-소비자 큐에서 가끔 항목이 사라지는 버그를 어떻게 찾을지 단계별로 설명하고 어떤 계측을 추가할지 알려 줘.",
    "직장을 다니면서 클라우드 자격증을 준비하는 학습 계획을 선수 과목 순서와 주간 점검 항목까지 포함해서 짜 줘.",
    "리액트에서 무한 스크롤 훅을 만들어 줘. 오래된 요청 취소와 경쟁 상태 처리까지 설계 이유와 함께.",
],
"ja": [
    "Javaでトライ木を実装し、削除の厄介なケースの単体テストも書いてください。",
    "共有・権限・オフライン同期の競合まで考慮した共同ToDoアプリのデータモデルとAPIを設計してください。",
    "太郎は「花子は嘘つき」、花子は「次郎は嘘つき」、次郎は「太郎も花子も嘘つき」と言った。誰が正直者か、順を追って推論してください。",
    "大学生向けのノートの取り方3種類を、評価基準を立てて比較するレポートを書き、学習スタイル別に推奨してください。",
    "在庫システムにおける楽観的ロックと悲観的ロックのトレードオフを分析し、売り越しが許されない場合にどちらを選ぶべきか根拠とともに示してください。",
    "週末に登録したユーザーだけに新しいオンボーディングを適用し、平日登録者と継続率を比較した実験設計の問題点を批評してください。",
    "「すべての管理職は会議に出る。一部のエンジニアは会議に出る。ゆえに一部のエンジニアは管理職だ」という論証は妥当か、形式的に説明してください。",
    "マルチスレッドの生産者・消費者キューでまれに要素が消えるバグの調査手順を段階的に説明し、追加すべき計測も挙げてください。",
    "働きながらクラウド認定資格を目指す学習計画を、前提知識の順序と毎週のチェックポイント付きで作ってください。",
    "Reactで無限スクロール用のフックを作ってください。古いリクエストのキャンセルと競合状態への対処も含め、設計理由を説明して。",
],
"zh": [
    "用Java实现一个字典树,支持插入、删除和前缀查询,并为删除的边界情况写单元测试。",
    "为一个支持共享、权限和离线同步冲突处理的协作待办应用设计数据模型和API。",
    "小明说小红在说谎,小红说小刚在说谎,小刚说小明和小红都在说谎。请一步步推理谁说的是真话。",
    "写一份比较三种大学生笔记方法的报告,先定评价标准,再按不同学习风格给出推荐。",
    "分析库存系统中乐观锁和悲观锁的利弊,在绝不允许超卖的情况下应该选哪种,请给出依据和失败场景分析。",
    "某公司只给周末注册的用户上线了新引导流程,再拿他们的留存和工作日注册用户比较。请批评这个实验设计。",
    "“所有经理都参加会议,有些工程师参加会议,所以有些工程师是经理。”这个论证是否有效?请形式化地说明。",
    "多线程生产者消费者队列偶尔丢数据,请分步骤说明如何定位这个bug,以及需要加哪些监控。",
    "我边上班边准备云架构师认证,请按先修关系排好学习顺序,做一个带每周检查点的学习计划。",
    "写一个React无限滚动Hook,要能取消过期请求并处理竞态,说明设计思路。",
],
"es": [
    "Implementa en Java un trie con inserción, borrado y búsqueda por prefijo, y escribe tests para los casos difíciles del borrado.",
    "Diseña el modelo de datos y la API de una app colaborativa de tareas con permisos, compartición y conflictos de sincronización sin conexión.",
    "Luis dice que Marta miente, Marta dice que Pedro miente y Pedro dice que Luis y Marta mienten. Razona con cuidado quién dice la verdad.",
    "Escribe un informe comparando tres métodos de toma de apuntes para universitarios, con criterios, evidencias y recomendaciones según el estilo de estudio.",
    "Analiza las ventajas e inconvenientes del bloqueo optimista frente al pesimista en un sistema de inventario donde no se puede vender de más, y recomienda uno justificándolo.",
    "Critica este diseño experimental: se dio el nuevo onboarding solo a quienes se registraron en fin de semana y se comparó su retención con los de entre semana.",
    "¿Es válido este argumento? Todos los gerentes asisten a la reunión. Algunos ingenieros asisten a la reunión. Luego algunos ingenieros son gerentes. Explícalo formalmente.",
    "Explica paso a paso cómo localizarías un bug en una cola productor-consumidor multihilo que a veces pierde elementos, y qué instrumentación añadirías.",
    "Hazme un plan de estudio para una certificación de arquitecto cloud compaginándolo con el trabajo, ordenado por prerrequisitos y con revisiones semanales.",
    "Escribe un hook de React para scroll infinito que cancele peticiones obsoletas y evite condiciones de carrera, explicando el diseño.",
],
"de": [
    "Implementiere in Java einen Trie mit Einfügen, Löschen und Präfixsuche und schreibe Tests für die kniffligen Löschfälle.",
    "Entwirf Datenmodell und API für eine kollaborative To-do-App mit Freigaben, Rechten und Offline-Synchronisationskonflikten.",
    "Lukas sagt, Mia lügt. Mia sagt, Paul lügt. Paul sagt, Lukas und Mia lügen beide. Wer sagt die Wahrheit? Überlege sorgfältig.",
    "Schreibe einen Vergleichsbericht über drei Mitschreibmethoden für Studierende mit Kriterien, Belegen und Empfehlungen je nach Lerntyp.",
    "Analysiere Vor- und Nachteile von optimistischem und pessimistischem Locking in einem Lagersystem, in dem Überverkauf ausgeschlossen sein muss, und empfiehl eine Variante mit Begründung.",
    "Kritisiere dieses Versuchsdesign: Nur Wochenend-Anmeldungen bekamen das neue Onboarding, ihre Bindung wurde dann mit den Werktags-Anmeldungen verglichen.",
    "Ist dieses Argument gültig? Alle Manager nehmen am Meeting teil. Einige Ingenieure nehmen am Meeting teil. Also sind einige Ingenieure Manager. Erkläre es formal.",
    "Erkläre Schritt für Schritt, wie du einen Fehler findest, bei dem eine Multithread-Producer-Consumer-Queue gelegentlich Elemente verliert, und welche Messpunkte du einbaust.",
    "Erstelle einen Lernplan für eine Cloud-Architekten-Zertifizierung neben dem Job, sortiert nach Voraussetzungen und mit wöchentlichen Kontrollpunkten.",
    "Schreibe einen React-Hook für Infinite Scrolling, der veraltete Anfragen abbricht und Race Conditions vermeidet, und erkläre das Design.",
],
"fr": [
    "Implémente en Java un trie avec insertion, suppression et recherche par préfixe, et écris des tests pour les cas délicats de suppression.",
    "Conçois le modèle de données et l'API d'une appli collaborative de tâches avec partage, permissions et conflits de synchronisation hors ligne.",
    "Léa dit que Hugo ment. Hugo dit que Nina ment. Nina dit que Léa et Hugo mentent tous les deux. Qui dit la vérité ? Raisonne soigneusement.",
    "Rédige un rapport comparant trois méthodes de prise de notes pour étudiants, avec des critères, des preuves et des recommandations selon le profil.",
    "Analyse les avantages et inconvénients du verrouillage optimiste et pessimiste pour un système de stock où la survente est interdite, et recommande une option argumentée.",
    "Critique ce protocole : le nouvel accueil a été montré seulement aux inscrits du week-end, puis leur rétention a été comparée à celle des inscrits en semaine.",
    "Cet argument est-il valide ? Tous les managers assistent à la réunion. Certains ingénieurs assistent à la réunion. Donc certains ingénieurs sont managers. Explique formellement.",
    "Explique étape par étape comment trouver le bug d'une file producteur-consommateur multithread qui perd parfois des éléments, et quelle instrumentation ajouter.",
    "Fais-moi un plan d'études pour une certification d'architecte cloud en travaillant à plein temps, ordonné selon les prérequis avec des points de contrôle hebdomadaires.",
    "Écris un hook React de défilement infini qui annule les requêtes obsolètes et évite les conditions de course, en expliquant la conception.",
],
}

TABLE_EN = """Quarter  Visits  Signups  Paid
Q1       12000   840      95
Q2       15500   910      102
Q3       14100   1020     131
Q4       16800   1190     150"""

# Chat asks over numeric tables (format/extract/translate), any language.
CHAT_TABLE = {
"en": ["Convert this table to CSV.", "What was the number of signups in Q3? Just the number.", "Make this a markdown table.", "Sort these rows by visits, descending."],
"ko": ["이 표를 CSV로 바꿔 줘.", "3분기 가입자 수만 알려 줘.", "마크다운 표로 만들어 줘."],
"ja": ["この表をCSVに変換して。", "第3四半期の登録数だけ教えて。", "マークダウンの表にして。"],
"zh": ["把这个表转成CSV。", "第三季度的注册数是多少?只要数字。", "做成Markdown表格。"],
"es": ["Pasa esta tabla a CSV.", "¿Cuántos registros hubo en el Q3? Solo el número.", "Conviértelo en tabla markdown."],
"de": ["Wandle die Tabelle in CSV um.", "Wie viele Anmeldungen gab es in Q3? Nur die Zahl.", "Mach eine Markdown-Tabelle daraus."],
"fr": ["Convertis ce tableau en CSV.", "Combien d'inscriptions au T3 ? Juste le nombre.", "Transforme-le en tableau markdown."],
}
# Same table, reasoning asks.
REASON_TABLE = {
"en": ["Analyze the funnel: compute conversion at each step per quarter, explain what changed and what to investigate next."],
"ko": ["퍼널을 분석해서 분기별 단계 전환율을 계산하고 무엇이 바뀌었는지, 다음에 무엇을 조사해야 할지 설명해 줘."],
"ja": ["ファネルを分析し、四半期ごとの各段階の転換率を計算して、何が変わったか、次に何を調べるべきか説明してください。"],
"zh": ["分析这个漏斗:计算每季度各环节的转化率,说明发生了什么变化,下一步该调查什么。"],
"es": ["Analiza el embudo: calcula la conversión de cada paso por trimestre, explica qué cambió y qué investigar después."],
"de": ["Analysiere den Funnel: Berechne die Konversion je Stufe und Quartal, erkläre die Veränderungen und was als Nächstes zu prüfen ist."],
"fr": ["Analyse l'entonnoir : calcule la conversion à chaque étape par trimestre, explique ce qui a changé et quoi examiner ensuite."],
}
