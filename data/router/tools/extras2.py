# Third batch of hand-written asks: trivial asks over logs/traces/code (chat), polite request
# forms (chat), proof verbs, design and planning without numbers, code plus a hard question.
TRACE_LOG = """2025-01-09 14:02:11 ERROR PaymentWorker - java.lang.IllegalStateException: token expired
	at com.pay.client.TokenStore.get(TokenStore.java:57)
	at com.pay.worker.PaymentWorker.run(PaymentWorker.java:112)
2025-01-09 14:02:12 INFO  PaymentWorker - retrying in 5s
2025-01-09 14:02:17 ERROR PaymentWorker - java.lang.IllegalStateException: token expired
	at com.pay.client.TokenStore.get(TokenStore.java:57)
2025-01-09 14:03:00 INFO  Scheduler - token refresh job finished"""

PY_TB = """Traceback (most recent call last):
  File "app.py", line 27, in <module>
    main()
  File "app.py", line 21, in main
    cfg = load_config(path)
  File "config.py", line 9, in load_config
    return yaml.safe_load(open(p))
FileNotFoundError: [Errno 2] No such file or directory: 'settings.yaml'"""

SNIPPET = """const total = items.reduce((sum, it) => sum + it.price * it.qty, 0);
console.log(total.toFixed(2));"""

CACHE_CODE = """class Cache:
    def __init__(self):
        self.data = {}
    def get(self, k, loader):
        if k not in self.data:
            self.data[k] = loader(k)
        return self.data[k]"""

CHAT = {
"en": [
    ("Copy out just the exception lines from this log, nothing else.", TRACE_LOG),
    ("Translate the error message in this traceback into plain English for a non-programmer, one sentence.", PY_TB),
    ("What time did the first error happen?", TRACE_LOG),
    ("Add a short comment above each line.", SNIPPET),
    ("Could you please rewrite this message so it sounds warmer? 'Your request has been received and will be processed.'", None),
    ("Please convert 5 kilometres to miles.", None),
    ("Kindly list three synonyms for 'happy'.", None),
],
"ko": [
    ("이 로그에서 ERROR 줄만 그대로 뽑아 주세요.", TRACE_LOG),
    ("이 트레이스백의 마지막 줄을 한국어로 번역해 주세요.", PY_TB),
    ("첫 번째 에러가 몇 시에 났는지 알려 주세요.", TRACE_LOG),
    ("이 코드 한 줄씩 주석 달아 주세요.", SNIPPET),
    ("회의 끝나고 보낼 감사 인사 문자 좀 써 주세요.", None),
    ("김치찌개 레시피 간단히 알려 주세요.", None),
    ("부산에서 가볼 만한 곳 세 군데만 추천해 주세요.", None),
],
"ja": [
    ("このログからERRORの行だけを抜き出してください。", TRACE_LOG),
    ("このトレースバックの最後の行を日本語に訳してください。", PY_TB),
    ("最初のエラーが起きた時刻を教えてください。", TRACE_LOG),
    ("このコードに一行ずつコメントを付けてください。", SNIPPET),
    ("会議のお礼メールを短く書いてください。", None),
    ("肉じゃがの作り方を簡単に教えてください。", None),
    ("京都でおすすめのカフェを3つ教えてください。", None),
    ("この文を敬語に直してください:明日行けないです。", None),
],
"zh": [
    ("把这段日志里的ERROR行原样摘出来。", TRACE_LOG),
    ("把这个报错的最后一行翻译成中文。", PY_TB),
    ("第一条错误是几点发生的?", TRACE_LOG),
    ("给这段代码每一行加个注释。", SNIPPET),
    ("请帮我写一条会后感谢的消息。", None),
    ("请简单介绍一下番茄炒蛋的做法。", None),
    ("请推荐三个杭州值得去的景点。", None),
],
"es": [
    ("Copia solo las líneas de ERROR de este log.", TRACE_LOG),
    ("Traduce la última línea de este traceback al español.", PY_TB),
    ("¿A qué hora ocurrió el primer error?", TRACE_LOG),
    ("Añade un comentario corto encima de cada línea.", SNIPPET),
    ("Por favor, escríbeme un mensaje de agradecimiento después de la reunión.", None),
    ("¿Me das una receta fácil de gazpacho?", None),
    ("Recomiéndame tres sitios para visitar en Sevilla, por favor.", None),
],
"de": [
    ("Kopiere nur die ERROR-Zeilen aus diesem Log.", TRACE_LOG),
    ("Übersetze die letzte Zeile dieses Tracebacks ins Deutsche.", PY_TB),
    ("Um wie viel Uhr trat der erste Fehler auf?", TRACE_LOG),
    ("Füge über jeder Zeile einen kurzen Kommentar ein.", SNIPPET),
    ("Schreib mir bitte eine kurze Dankesnachricht nach dem Meeting.", None),
    ("Kannst du mir bitte ein einfaches Rezept für Kartoffelsalat geben?", None),
    ("Nenne mir bitte drei Sehenswürdigkeiten in Hamburg.", None),
],
"fr": [
    ("Recopie seulement les lignes ERROR de ce journal.", TRACE_LOG),
    ("Traduis la dernière ligne de cette trace en français.", PY_TB),
    ("À quelle heure a eu lieu la première erreur ?", TRACE_LOG),
    ("Ajoute un court commentaire au-dessus de chaque ligne.", SNIPPET),
    ("Peux-tu m'écrire un petit message de remerciement après la réunion ?", None),
    ("Tu peux me donner une recette simple de quiche lorraine ?", None),
    ("Recommande-moi trois endroits à visiter à Bordeaux, s'il te plaît.", None),
],
}

REASON = {
"en": [
    ("Show that every tree with at least two vertices has at least two leaves.", None),
    ("Work out why the payment worker keeps failing from this log, explain the race between the refresh job and the worker, and propose a fix.", TRACE_LOG),
    ("This cache is used from many threads and sometimes calls the loader twice for the same key, which is expensive. Explain why and make it correct without a global lock on every read.", CACHE_CODE),
    ("Lay out a migration plan from a single Postgres instance to a primary with two replicas with zero downtime, including the order of steps and how to verify each.", None),
    ("Write a structured risk assessment for moving our customer support to a chatbot: stakeholders, failure modes, mitigations and success metrics.", None),
],
"ko": [
    ("두 개 이상의 꼭짓점을 가진 모든 트리에는 잎이 적어도 두 개 있음을 보여라.", None),
    ("이 로그를 보고 결제 워커가 계속 실패하는 원인을 토큰 갱신 작업과의 경쟁 상태 관점에서 분석하고 해결책을 제시해 주세요.", TRACE_LOG),
    ("이 캐시를 여러 스레드에서 쓰면 같은 키에 대해 로더가 두 번 호출돼요. 이유를 설명하고 읽을 때마다 전역 락을 걸지 않고 올바르게 고쳐 주세요.", CACHE_CODE),
    ("단일 데이터베이스를 무중단으로 주 서버와 복제본 두 대 구조로 옮기는 이전 계획을 단계 순서와 검증 방법까지 포함해서 세워 주세요.", None),
    ("고객 상담을 챗봇으로 전환할 때의 위험 평가 보고서를 이해관계자, 실패 양상, 완화책, 성공 지표로 나눠 작성해 주세요.", None),
    ("마이크로서비스와 모놀리식 구조를 우리 같은 다섯 명 규모 팀 관점에서 깊이 비교하고 어떤 걸 택해야 할지 논증해 주세요.", None),
],
"ja": [
    ("頂点が2つ以上ある木には葉が少なくとも2つあることを示せ。", None),
    ("このログから決済ワーカーが失敗し続ける原因を、トークン更新ジョブとの競合の観点で分析し、修正案を示してください。", TRACE_LOG),
    ("このキャッシュを複数スレッドから使うと同じキーでローダーが二回呼ばれます。理由を説明し、読み取りごとにグローバルロックをかけずに正しく直してください。", CACHE_CODE),
    ("単一のデータベースを無停止でプライマリとレプリカ2台の構成に移行する計画を、手順の順序と各段階の検証方法を含めて立ててください。", None),
    ("カスタマーサポートをチャットボットに置き換える際のリスク評価レポートを、関係者・障害モード・対策・成功指標に分けて作成してください。", None),
    ("マイクロサービスとモノリスを5人規模のチームの観点で詳しく比較し、どちらを選ぶべきか論じてください。", None),
],
"zh": [
    ("求证:至少有两个顶点的树至少有两片叶子。", None),
    ("根据这段日志分析支付任务一直失败的原因,从它和令牌刷新任务之间的竞态角度解释,并给出修复方案。", TRACE_LOG),
    ("这个缓存在多线程下同一个key会调用两次loader,代价很高。解释原因,并在不给每次读取加全局锁的前提下改正确。", CACHE_CODE),
    ("制定一个把单机数据库无停机迁移到一主两从架构的方案,写清步骤顺序和每一步的验证方法。", None),
    ("写一份把客服换成聊天机器人的风险评估报告,分为相关方、失败模式、缓解措施和成功指标。", None),
    ("从一个五人团队的角度深入比较微服务和单体架构,论证我们应该选哪一个。", None),
    ("设计一个支持撤销操作的画图应用的命令模式架构,说明各个类的职责和交互。", None),
],
"es": [
    ("Prueba que todo árbol con al menos dos vértices tiene al menos dos hojas.", None),
    ("Con este log, averigua por qué falla una y otra vez el worker de pagos, explica la condición de carrera con el job de refresco del token y propone una solución.", TRACE_LOG),
    ("Esta caché se usa desde varios hilos y a veces llama dos veces al loader para la misma clave. Explica por qué y corrígela sin un bloqueo global en cada lectura.", CACHE_CODE),
    ("Plantea un plan para migrar una base de datos única a un primario con dos réplicas sin cortes, con el orden de los pasos y cómo verificar cada uno.", None),
    ("Redacta una evaluación de riesgos de pasar la atención al cliente a un chatbot: partes interesadas, modos de fallo, mitigaciones y métricas de éxito.", None),
],
"de": [
    ("Weise nach, dass jeder Baum mit mindestens zwei Knoten mindestens zwei Blätter hat.", None),
    ("Finde anhand des Logs heraus, warum der Payment-Worker immer wieder scheitert, erkläre das Wettrennen mit dem Token-Refresh-Job und schlage eine Lösung vor.", TRACE_LOG),
    ("Dieser Cache wird aus mehreren Threads benutzt und ruft den Loader für denselben Schlüssel manchmal doppelt auf. Erkläre warum und mach ihn korrekt, ohne bei jedem Lesen global zu sperren.", CACHE_CODE),
    ("Erstelle einen Plan, um eine einzelne Datenbank ohne Ausfallzeit auf einen Primary mit zwei Replikas umzustellen, mit Reihenfolge der Schritte und Prüfung jedes Schritts.", None),
    ("Zeige, dass die Quadratwurzel aus 3 irrational ist.", None),
    ("Verfasse eine Risikoanalyse für die Umstellung unseres Kundensupports auf einen Chatbot: Beteiligte, Fehlerszenarien, Gegenmaßnahmen und Erfolgskennzahlen.", None),
],
"fr": [
    ("Montre que tout arbre ayant au moins deux sommets possède au moins deux feuilles.", None),
    ("À partir de ce journal, trouve pourquoi le worker de paiement échoue sans cesse, explique la concurrence avec la tâche de rafraîchissement du jeton et propose un correctif.", TRACE_LOG),
    ("Ce cache est utilisé par plusieurs threads et appelle parfois deux fois le loader pour la même clé. Explique pourquoi et corrige-le sans verrou global à chaque lecture.", CACHE_CODE),
    ("Établis un plan de migration d'une base unique vers un primaire avec deux réplicas sans interruption, avec l'ordre des étapes et la vérification de chacune.", None),
    ("Rédige une analyse de risques pour le passage de notre service client à un chatbot : parties prenantes, modes de défaillance, mesures d'atténuation et indicateurs de succès.", None),
],
}
