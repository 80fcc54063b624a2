# Independently written held-out set (NOT used for training). Part B: Chinese, Spanish, German, French.
from holdout_a import H, TOOL_CAL, TOOL_SQL, JSON, CODE_H_GO, GO_HANG, LOG_H, POLICY_H

NOTICE_ZH = """关于调整食堂开放时间的通知
各位员工:为配合餐厅设备检修,下周一至周三食堂午餐时间调整为11:30至13:00,晚餐暂停供应。给大家带来的不便敬请谅解。
后勤部"""

SALES_ZH = """门店月度销售(万元)
门店   1月   2月   3月   4月   5月   6月
东区   52    48    55    61    40    38
西区   45    47    46    50    52    55
南区   30    33    29    35    31    60
北区   60    58    57    55    54    52
备注:东区4月底附近地铁站封闭施工;南区6月举办了大型促销活动。"""

RECIPE_ES = """Tortilla de patatas (4 personas)
Ingredientes: 5 patatas medianas, 1 cebolla, 6 huevos, aceite de oliva y sal.
1. Pela y corta las patatas en láminas finas y la cebolla en juliana.
2. Fríelas a fuego lento en abundante aceite unos 20 minutos, hasta que estén tiernas.
3. Bate los huevos con sal y mezcla con las patatas escurridas.
4. Cuaja la mezcla en una sartén, dale la vuelta con un plato y termina un par de minutos más."""

ALQUILER_ES = """Contrato de arrendamiento - cláusulas
Tercera. El arrendatario pagará una renta mensual de 950 euros, actualizable cada mes según criterio del arrendador.
Quinta. La fianza será de cuatro mensualidades y no se devolverá si el contrato termina antes de cinco años.
Séptima. Todas las reparaciones, incluidas las estructurales, corren a cargo del arrendatario.
Novena. El arrendador podrá entrar en la vivienda en cualquier momento sin previo aviso."""

PRESSE_DE = """Die Bäckerei Sonnenkorn in Leipzig feiert in diesem Jahr ihr 100-jähriges Bestehen. Gegründet wurde sie 1925 von Wilhelm Sommer, heute führt seine Urenkelin Lisa den Betrieb. Zum Jubiläum gibt es am Samstag ein Straßenfest mit Musik, Kinderprogramm und einer Backstube zum Mitmachen. Der Erlös aus dem Kuchenverkauf geht an die örtliche Tafel."""

KPI_DE = """Quartalszahlen Kundensupport
Quartal  Tickets  Ø Bearbeitungszeit  Zufriedenheit  Mitarbeiter
Q1       4.200    6,5 h               4,3            12
Q2       5.100    8,9 h               3,9            12
Q3       6.300    14,2 h              3,1            11
Q4       6.100    9,0 h               3,8            16
Anmerkung: Im Q3 neues Ticketsystem eingeführt; im Q4 vier neue Mitarbeiter, Einarbeitung 6 Wochen."""

LETTRE_FR = """Madame, Monsieur,

Je me permet de vous écrire au sujet de ma facture du mois de janvier. Il me semble que j'ai été facturé deux fois pour le même abonement. Pourriez-vous vérifier et me rembourser la somme payé en trop ?

Dans l'attente de votre réponse, je vous prie d'agréer mes salutations distinguées.
Paul Martin"""

BUDGET_FR = """Budget association sportive (en euros)
Poste            2022     2023     2024
Cotisations      18 000   17 500   15 200
Subventions      10 000   12 000    6 000
Location salle    9 000   11 500   14 000
Matériel          4 000    3 800    6 500
Tournois          3 500    5 200    2 100
Solde            +11 500   +9 000   -1 400
Nombre d'adhérents  240      228      196"""

ITEMS = [
    # ---------------- Chinese ----------------
    H("zh", "chat", "在吗?聊会儿天"),
    H("zh", "chat", "一件衣服原价299,打八折是多少钱?"),
    H("zh", "chat", "把这个通知翻译成英文。\n\n" + NOTICE_ZH),
    H("zh", "chat", "帮我检查下面这段话的错别字。\n\n今天天气很好,我们一起去公圆玩。公圆里有很多花,有红的,黄的,还有紫色的。我们在草地上做游戏,玩的很开心。"),
    H("zh", "chat", "Python怎么获取当前日期?"),
    H("zh", "chat", "给我同事写一句生日祝福"),
    H("zh", "chat", "我的快递显示签收了但是我没收到,怎么办?", sys="你是某电商平台的客服。"),
    H("zh", "chat", "从这句话里提取姓名和城市,输出JSON:张小明下个月从成都搬到杭州工作。", rf=JSON),
    H("zh", "chat", "好的明白了,谢谢!", hist=[{"role": "user", "content": "证明任意两个奇数之和是偶数"}, {"role": "assistant", "content": "设两个奇数为2a+1和2b+1,它们的和为2(a+b+1),所以是偶数。"}]),
    H("zh", "chat", "把这个表格转成CSV格式。\n\n" + SALES_ZH),
    H("zh", "chat", "长城有多长?"),
    H("zh", "chat", "周末去哪儿玩比较好?推荐几个北京周边的地方"),
    H("zh", "chat", "提醒我下周三下午三点开会", tools=TOOL_CAL),
    H("zh", "chat", "“加油”用英语怎么说?"),
    H("zh", "reasoning", "一个盒子里有4个白球和6个黑球,依次不放回地取出两个球,已知第二个是白球,求第一个也是白球的概率,并写出推理过程。"),
    H("zh", "reasoning", "分析这份门店销售数据,找出各门店的趋势和异常,结合备注解释原因,并给出下半年的调整建议。\n\n" + SALES_ZH),
    H("zh", "reasoning", "证明:任意6个人中,一定有3个人互相认识或者互相不认识。"),
    H("zh", "reasoning", "下面的Go代码在高并发下会死锁,请准确解释原因,并重写一个既正确又高效的版本。\n\n```go\n" + CODE_H_GO + "\n```\n\n```\n" + GO_HANG + "\n```"),
    H("zh", "reasoning", "用Java实现一个支持撤销和重做的文本编辑器核心数据结构,说明设计思路并写出单元测试。"),
    H("zh", "reasoning", "甲乙丙丁四人中只有一人说了真话。甲:“是乙做的。”乙:“是丁做的。”丙:“不是我做的。”丁:“乙在说谎。”到底是谁做的?"),
    H("zh", "reasoning", "帮我们团队制定一个为期三个月的数据平台迁移计划:先迁移日志,再迁移报表,报表依赖数据仓库改造,中间不能停服。请列出各阶段依赖关系、风险和回滚方案。"),
    H("zh", "reasoning", "请作为评委,从准确性、完整性和表达清晰度三个方面比较下面两个回答,分别打分并说明理由。\n回答A:光合作用就是植物吃阳光。\n回答B:光合作用是植物利用光能把二氧化碳和水转化为葡萄糖并释放氧气的过程。"),
    H("zh", "reasoning", "房贷100万,年利率4.2%,等额本息30年,每月还多少?如果第5年末提前还款20万,之后月供变为多少?请写出计算过程。"),
    H("zh", "reasoning", "那你能证明这个贪心策略一定是最优的吗?", hist=[{"role": "user", "content": "有很多会议,怎么安排才能在一个会议室里开最多的会?"}, {"role": "assistant", "content": "按结束时间排序,每次选择最早结束且不冲突的会议。"}]),
    H("zh", "reasoning", "我们App的次日留存率从40%掉到了28%。请提出可能的原因假设,并为每个假设设计验证用的SQL查询和判断标准。", tools=TOOL_SQL),
    H("zh", "reasoning", "根据这份远程办公制度草案,找出所有相互矛盾或含糊的条款,并给出修改后的表述。\n\n" + POLICY_H),
    # ---------------- Spanish ----------------
    H("es", "chat", "buenas! qué tal todo?"),
    H("es", "chat", "¿Cuánto es el 21% de IVA de 250 euros?"),
    H("es", "chat", "Traduce esta receta al inglés, por favor.\n\n" + RECIPE_ES),
    H("es", "chat", "¿Me corriges las faltas de este correo?\n\nHola Marta, te escrivo para decirte que mañana no podre ir a la reunion porque tengo que hir al medico. Haber si podemos quedar el jueves. Un saludo."),
    H("es", "chat", "¿Cómo se hace un comentario de varias líneas en JavaScript?"),
    H("es", "chat", "Escríbeme un mensaje corto para felicitar a mi hermana por su graduación"),
    H("es", "chat", "¿Puedo devolver un producto sin el ticket?", sys="Eres el asistente de atención al cliente de una tienda de ropa."),
    H("es", "chat", "Saca en JSON el nombre del producto y el precio: 'La cafetera Aroma 3000 cuesta 89,90 euros en oferta.'", rf=JSON),
    H("es", "chat", "vale, entendido, gracias!", hist=[{"role": "user", "content": "Demuestra que hay infinitos números primos"}, {"role": "assistant", "content": "Supongamos que hay un número finito de primos p1,...,pn. Consideremos N = p1·...·pn + 1..."}]),
    H("es", "chat", "Resume esta receta en dos frases.\n\n" + RECIPE_ES),
    H("es", "chat", "¿Quién pintó Las Meninas?"),
    H("es", "chat", "Recomiéndame un libro para el verano"),
    H("es", "chat", "Pon una alarma para mañana a las 7", tools=TOOL_CAL),
    H("es", "chat", "Convierte 5 millas a kilómetros"),
    H("es", "reasoning", "En una ruleta con 37 casillas, ¿cuál es la probabilidad de que en 10 tiradas salga el cero al menos una vez? Razónalo paso a paso."),
    H("es", "reasoning", "Revisa estas cláusulas de mi contrato de alquiler: ¿cuáles son abusivas o probablemente nulas, qué riesgos tengo y cómo las negociaría?\n\n" + ALQUILER_ES),
    H("es", "reasoning", "Demuestra que la suma de los ángulos interiores de un polígono de n lados es (n-2)·180 grados."),
    H("es", "reasoning", "Este código en Go se bloquea con carga. Explica exactamente por qué y reescribe Get para que sea correcto y rápido.\n\n```go\n" + CODE_H_GO + "\n```\n\n```\n" + GO_HANG + "\n```"),
    H("es", "reasoning", "Implementa en Python un planificador de tareas con dependencias (orden topológico) que detecte ciclos y reporte cuál es el ciclo, con pruebas unitarias."),
    H("es", "reasoning", "Tres amigas, Ana, Bea y Clara, tienen un gato, un perro y un pez. Ana no tiene el perro, la del pez no es Bea y Clara no tiene ni el gato ni el pez. ¿Quién tiene cada mascota? Justifica."),
    H("es", "reasoning", "Organiza la boda de mi hermana en 6 meses: lugar, catering, invitaciones, vestido, música; el catering depende del lugar y las invitaciones de la fecha. Dame un plan con dependencias, hitos y riesgos."),
    H("es", "reasoning", "Actúa como evaluador: compara estas dos traducciones del inglés 'It's raining cats and dogs' según fidelidad y naturalidad, puntúalas y justifica.\nA: 'Están lloviendo gatos y perros.'\nB: 'Está lloviendo a cántaros.'"),
    H("es", "reasoning", "Con este registro, averigua qué está fallando en la exportación nocturna y propón una solución que evite la tormenta de reintentos.\n\n" + LOG_H),
    H("es", "reasoning", "¿Y podrías demostrar que ese método siempre da la solución óptima?", hist=[{"role": "user", "content": "¿Cómo reparto tareas entre dos máquinas para terminar lo antes posible?"}, {"role": "assistant", "content": "Ordena las tareas de mayor a menor y asigna cada una a la máquina menos cargada."}]),
    H("es", "reasoning", "Nuestra tasa de conversión cayó del 3,1% al 2,2% tras el rediseño. Plantea hipótesis, las consultas SQL para contrastarlas y cómo decidir entre ellas.", tools=TOOL_SQL),
    H("es", "reasoning", "Calcula la cuota mensual de una hipoteca de 180.000 euros a 25 años al 3,5% de interés y cuánto se paga de intereses en total, con el desarrollo."),
    # ---------------- German ----------------
    H("de", "chat", "Na, alles klar bei dir?"),
    H("de", "chat", "Was kosten 3 Kilo Äpfel, wenn das Kilo 2,49 € kostet?"),
    H("de", "chat", "Übersetz mir diese Pressemitteilung ins Englische.\n\n" + PRESSE_DE),
    H("de", "chat", "Kannst du die Rechtschreibfehler korrigieren?\n\nLiebe Frau Schmidt, vielen dank für ihre schnelle antwort. Leider kann ich am Montag nicht komen, weil ich krank bin. Können wir den Termin auf Mitwoch verschieben? Mit freundlichen grüßen, Jan"),
    H("de", "chat", "Wie lösche ich einen Branch in git?"),
    H("de", "chat", "Schreib mir einen kurzen Glückwunsch zur Geburt eines Babys"),
    H("de", "chat", "Wie lange dauert der Versand nach Österreich?", sys="Du bist der Kundenservice eines Onlineshops."),
    H("de", "chat", "Gib mir Firmenname und Gründungsjahr als JSON: 'Die Bäckerei Sonnenkorn wurde 1925 gegründet.'", rf=JSON),
    H("de", "chat", "super, danke dir!", hist=[{"role": "user", "content": "Beweise, dass es unendlich viele Primzahlen gibt."}, {"role": "assistant", "content": "Angenommen, es gäbe nur endlich viele Primzahlen p1, ..., pn. Dann betrachte N = p1·...·pn + 1 ..."}]),
    H("de", "chat", "Fass die Tabelle in zwei Sätzen zusammen.\n\n" + KPI_DE),
    H("de", "chat", "Wie hoch ist die Zugspitze?"),
    H("de", "chat", "Hast du eine Idee für ein schnelles Abendessen mit Nudeln?"),
    H("de", "chat", "Trag mir für Freitag 14 Uhr 'Zahnarzt' in den Kalender ein", tools=TOOL_CAL),
    H("de", "chat", "Was heißt 'Feierabend' auf Englisch?"),
    H("de", "reasoning", "Wie groß ist die Wahrscheinlichkeit, dass in einer Gruppe von 30 Personen mindestens zwei am selben Tag Geburtstag haben? Bitte mit Herleitung."),
    H("de", "reasoning", "Analysiere diese Supportzahlen: Welche Trends siehst du, wie hängen sie mit den Anmerkungen zusammen, und was sollten wir im nächsten Quartal priorisieren? Begründe es.\n\n" + KPI_DE),
    H("de", "reasoning", "Beweise, dass die Summe der ersten n ungeraden Zahlen n² ist."),
    H("de", "reasoning", "Dieser Go-Code verklemmt sich unter Last. Erkläre genau warum und schreibe Get so um, dass es korrekt und schnell ist.\n\n```go\n" + CODE_H_GO + "\n```\n\n```\n" + GO_HANG + "\n```"),
    H("de", "reasoning", "Schreibe in C++ eine Klasse für eine Prioritätswarteschlange mit decrease-key und erkläre die Komplexität jeder Operation."),
    H("de", "reasoning", "Vier Freunde sitzen an einem runden Tisch. Anna sitzt nicht neben Ben, Carl sitzt rechts von Dora, und Ben sitzt gegenüber von Carl. Wer sitzt wo? Begründe jeden Schritt."),
    H("de", "reasoning", "Plane die Einführung eines neuen ERP-Systems in einem Betrieb mit 80 Mitarbeitern: Datenmigration, Schulungen, Parallelbetrieb und Abnahme, mit Abhängigkeiten, Meilensteinen und Risiken."),
    H("de", "reasoning", "Bewerte als Gutachter diese zwei Zusammenfassungen der Pressemitteilung nach Vollständigkeit, Genauigkeit und Stil mit Punkten von 1 bis 10.\nA: Eine Bäckerei ist alt.\nB: Die Leipziger Bäckerei Sonnenkorn wird 100 und feiert am Samstag mit einem Straßenfest; der Kuchenerlös geht an die Tafel."),
    H("de", "reasoning", "Prüfe diesen Richtlinienentwurf auf widersprüchliche oder unklare Regeln und schlage eine korrigierte Fassung vor.\n\n" + POLICY_H),
    H("de", "reasoning", "Und kannst du beweisen, dass diese Strategie immer optimal ist?", hist=[{"role": "user", "content": "Wie wähle ich aus vielen Terminen möglichst viele, die sich nicht überschneiden?"}, {"role": "assistant", "content": "Sortiere nach Endzeit und nimm immer den frühesten passenden Termin."}]),
    H("de", "reasoning", "Unsere Kündigungsrate ist seit der Preiserhöhung von 2 % auf 5 % gestiegen. Stelle Hypothesen auf und entwirf SQL-Abfragen, um sie zu prüfen, samt Entscheidungskriterien.", tools=TOOL_SQL),
    H("de", "reasoning", "Berechne die monatliche Rate für einen Kredit über 25.000 € bei 6,9 % Zins und 60 Monaten Laufzeit sowie die gesamten Zinskosten, mit Rechenweg."),
    # ---------------- French ----------------
    H("fr", "chat", "coucou, ça va ?"),
    H("fr", "chat", "Combien coûtent 4 baguettes à 1,20 € ?"),
    H("fr", "chat", "Peux-tu traduire cette lettre en anglais ?\n\n" + LETTRE_FR),
    H("fr", "chat", "Corrige les fautes de cette lettre sans changer le style :\n\n" + LETTRE_FR),
    H("fr", "chat", "Comment on fait une boucle for en Python ?"),
    H("fr", "chat", "Écris un petit mot pour souhaiter une bonne retraite à un collègue"),
    H("fr", "chat", "Je n'arrive pas à me connecter à mon compte, que faire ?", sys="Tu es l'assistant du service client d'une banque en ligne."),
    H("fr", "chat", "Extrais la ville et la date en JSON : « Le festival aura lieu à Nantes le 14 juillet. »", rf=JSON),
    H("fr", "chat", "d'accord, merci beaucoup !", hist=[{"role": "user", "content": "Démontre que racine de 3 est irrationnelle."}, {"role": "assistant", "content": "Supposons que √3 = p/q avec p et q premiers entre eux. Alors p² = 3q², donc 3 divise p..."}]),
    H("fr", "chat", "Transforme ce tableau en liste à puces.\n\n" + BUDGET_FR),
    H("fr", "chat", "Quelle est la hauteur de la tour Eiffel ?"),
    H("fr", "chat", "Une idée de dessert rapide pour ce soir ?"),
    H("fr", "chat", "Ajoute « réunion parents-profs » jeudi à 18h dans mon agenda", tools=TOOL_CAL),
    H("fr", "chat", "Comment dit-on « bon appétit » en allemand ?"),
    H("fr", "reasoning", "On tire 5 cartes d'un jeu de 52. Quelle est la probabilité d'obtenir exactement une paire ? Détaille le dénombrement."),
    H("fr", "reasoning", "Analyse le budget de notre association : tendances, causes probables du déficit, et propose un plan de redressement chiffré et argumenté.\n\n" + BUDGET_FR),
    H("fr", "reasoning", "Démontre que pour tout entier n ≥ 1, 1 + 2 + ... + n = n(n+1)/2."),
    H("fr", "reasoning", "Ce code Go se bloque sous charge. Explique précisément pourquoi et réécris Get pour qu'il soit correct et rapide.\n\n```go\n" + CODE_H_GO + "\n```\n\n```\n" + GO_HANG + "\n```"),
    H("fr", "reasoning", "Écris en JavaScript un module de validation de formulaires avec règles composables et messages d'erreur localisés, plus les tests."),
    H("fr", "reasoning", "Trois boîtes sont étiquetées « pommes », « oranges » et « mélange », mais toutes les étiquettes sont fausses. En ne tirant qu'un seul fruit d'une seule boîte, comment retrouver le contenu de chacune ? Justifie."),
    H("fr", "reasoning", "Prépare le plan de déménagement de notre entreprise (60 personnes) sur deux mois : informatique, mobilier, contrats, communication, avec dépendances, jalons et risques."),
    H("fr", "reasoning", "En tant qu'évaluateur, compare ces deux réponses selon l'exactitude et la clarté, note-les sur 10 et justifie.\nA : La Révolution française commence en 1789 avec la prise de la Bastille.\nB : La Révolution française commence en 1815 après Waterloo."),
    H("fr", "reasoning", "Relis ce projet de politique de télétravail : repère toutes les règles contradictoires ou ambiguës et propose une rédaction corrigée.\n\n" + POLICY_H),
    H("fr", "reasoning", "Et tu peux prouver que cette stratégie est toujours optimale ?", hist=[{"role": "user", "content": "Comment rendre la monnaie avec le moins de pièces possible en euros ?"}, {"role": "assistant", "content": "On prend toujours la plus grande pièce possible, puis on recommence."}]),
    H("fr", "reasoning", "Notre panier moyen a baissé de 15 % depuis janvier. Formule des hypothèses et écris les requêtes SQL pour les vérifier, avec les critères de décision.", tools=TOOL_SQL),
    H("fr", "reasoning", "Calcule la mensualité d'un prêt immobilier de 200 000 € sur 20 ans à 3,8 %, et le coût total du crédit, en détaillant."),
]
