# Hand-written pasted materials (documents, code, logs, tables) for the router training data.
import random

R = random.Random(11)

MEETING_EN = """Project Atlas - weekly sync, Tuesday 14 May
Attendees: Priya (PM), Tom (backend), Lena (mobile), Marco (QA), Dana (finance)

1. Release date. Priya confirmed the public launch stays on 3 June. Tom said the payments API migration will not be finished before 10 June because the vendor sandbox is down until 28 May.
2. Mobile. Lena said the iOS build depends on the new payments API and needs one week of testing after it lands. Android is ready.
3. QA. Marco needs two full regression cycles of four working days each before any launch. The team has only one QA engineer until July.
4. Budget. Dana reported we have spent 82% of the quarter's budget. Contractor hours for May were approved for 200 hours; Tom estimates 320 hours are needed.
5. Marketing. The launch campaign is booked for 1 June and the ad spend is non-refundable.
Action items: Tom to ask vendor for an earlier sandbox; Priya to confirm launch date with marketing by Friday; Dana to request extra budget."""

CONTRACT_EN = """MASTER SERVICES AGREEMENT - EXCERPT
4.1 Term. This Agreement starts on the Effective Date and renews automatically for successive one-year terms unless either party gives written notice of non-renewal at least ninety (90) days before the end of the then-current term.
4.2 Termination for convenience. The Customer may terminate this Agreement for convenience on thirty (30) days' written notice, provided that all fees for the remainder of the then-current term become immediately due.
7.3 Liability cap. Except for breaches of Section 9 (Confidentiality), each party's total liability shall not exceed the fees paid by the Customer in the three (3) months preceding the claim.
7.4 Indemnity. The Customer shall indemnify the Provider against all claims arising from the Customer's data, without limitation.
9.2 Data. The Provider may use Customer data in aggregated form to improve its services and may share such aggregated data with affiliates.
11.1 Governing law. This Agreement is governed by the laws of the State of Delaware. Any dispute shall be resolved exclusively by arbitration in Singapore.
12.5 Price changes. The Provider may change the fees on fifteen (15) days' notice by email."""

LAB_EN = """Patient: F, 58 y. Fasting labs, 2 visits
Test            | March     | September | Reference
Hemoglobin      | 12.9 g/dL | 10.8 g/dL | 12.0-15.5
MCV             | 84 fL     | 74 fL     | 80-100
Ferritin        | 45 ng/mL  | 9 ng/mL   | 15-150
Platelets       | 260 k/uL  | 410 k/uL  | 150-400
Creatinine      | 0.8 mg/dL | 0.9 mg/dL | 0.6-1.1
TSH             | 2.1       | 2.3       | 0.4-4.0
Notes: patient reports fatigue and mild weight loss (3 kg) since June; takes ibuprofen daily for knee pain; no visible bleeding reported."""

FIN_EN = """Income statement (USD thousands)      FY2022    FY2023    FY2024
Revenue                                  12,400    14,100    15,050
Cost of goods sold                        6,820     8,180     9,330
Gross profit                              5,580     5,920     5,720
Operating expenses                        3,900     4,450     5,100
Operating income                          1,680     1,470       620
Interest expense                            210       390       640
Net income                                1,150       820       -40
Accounts receivable (year end)            1,900     2,900     4,100
Inventory (year end)                      1,100     1,750     2,600
Cash from operations                      1,400       600      -350"""

ESSAY_EN = """Should cities ban cars from their centers?
Cities around the world are starting to close their downtown streets to cars, and I believe this is a good idea. First, air quality improves a lot when there are less cars, which helps people with asthma. Second, shops in pedestrian areas often see more customers, because people walk slowly and look at the windows. Some people say that deliveries will become impossible, but many cities allow delivery vans in the early morning. Finally, streets without cars are safer for children. In conclusion, banning cars makes cities healthier, richer and safer, and every city should do it as soon as possible."""

RUBRIC_EN = """Rubric (each 1-5): Thesis clarity; Use of evidence; Counter-argument handling; Organisation; Language accuracy."""

EMAIL_EN = """Hi team,

Just a quick remindr that the office will be closed on Friday for the the building maintenance. Please take your laptops home on thursday evening and make sure you have VPN acess working before you leave. If you have any meetings with clients on Friday, move them to online calls or reschedule them to next week.

The cleaning crew will also empty all the fridges on thurday at 6pm, so please take your food with you.

Thanks for your understanding,
Maria
Office Manager"""

ARTICLE_EN = """The town of Ellsworth opened its new public library on Saturday after three years of construction. The building, designed by a local architecture firm, has two floors, a children's reading room, a small cafe and twenty computers for public use. Mayor Linda Park said the project cost 4.2 million dollars, of which half came from a state grant. On the first day more than 1,500 visitors came, and 300 new library cards were issued. The library will be open every day from 9 am to 8 pm, except on public holidays. Volunteers are still needed for the weekend reading program for children."""

PY_BUG = """import json

def load_users(path):
    with open(path) as f:
        data = json.load(f)
    users = {}
    for row in data["users"]:
        users[row["id"]] = row
    return users

def average_age(users):
    total = 0
    for u in users:
        total += u["age"]
    return total / len(users)

if __name__ == "__main__":
    users = load_users("users.json")
    print(average_age(users))"""

PY_TRACE = """Traceback (most recent call last):
  File "report.py", line 19, in <module>
    print(average_age(users))
  File "report.py", line 13, in average_age
    total += u["age"]
TypeError: 'int' object is not subscriptable"""

JS_CODE = """async function fetchAll(ids) {
  const results = [];
  ids.forEach(async (id) => {
    const res = await fetch(`/api/items/${id}`);
    results.push(await res.json());
  });
  return results;
}

fetchAll([1, 2, 3]).then(items => console.log(items.length));"""

RUST_CODE = """use std::collections::HashMap;

fn word_counts(text: &str) -> HashMap<&str, usize> {
    let mut counts = HashMap::new();
    for word in text.split_whitespace() {
        *counts.entry(word).or_insert(0) += 1;
    }
    counts
}

fn main() {
    let counts;
    {
        let text = String::from("a b a c b a");
        counts = word_counts(&text);
    }
    println!("{:?}", counts);
}"""

RUST_ERR = """error[E0597]: `text` does not live long enough
  --> src/main.rs:15:29
   |
14 |         let text = String::from("a b a c b a");
   |             ---- binding `text` declared here
15 |         counts = word_counts(&text);
   |                             ^^^^^ borrowed value does not live long enough
16 |     }
   |     - `text` dropped here while still borrowed
17 |     println!("{:?}", counts);
   |                      ------ borrow later used here"""

JAVA_TRACE = """Exception in thread "main" java.util.ConcurrentModificationException
	at java.base/java.util.ArrayList$Itr.checkForComodification(ArrayList.java:1013)
	at java.base/java.util.ArrayList$Itr.next(ArrayList.java:967)
	at com.shop.cart.Cart.removeExpired(Cart.java:42)
	at com.shop.cart.CartService.cleanup(CartService.java:88)
	at com.shop.Main.main(Main.java:17)"""

JAVA_CODE = """public void removeExpired(Instant now) {
    for (Item item : items) {
        if (item.getExpiresAt().isBefore(now)) {
            items.remove(item);
            total = total.subtract(item.getPrice());
        }
    }
}"""

SQL_CODE = """SELECT c.name, SUM(o.amount) AS total
FROM customers c
LEFT JOIN orders o ON o.customer_id = c.id
WHERE o.created_at >= '2024-01-01'
GROUP BY c.name
ORDER BY total DESC;"""

def server_log(n):
    r = random.Random(n)
    lines = []
    t = 0
    for i in range(n):
        t += r.randint(1, 40)
        h, m, s = 9 + t // 3600, (t // 60) % 60, t % 60
        kind = r.random()
        if kind < 0.7:
            lines.append(f"2024-05-14 {h:02d}:{m:02d}:{s:02d} INFO  api  GET /v1/orders/{r.randint(1000,9999)} 200 {r.randint(20,140)}ms")
        elif kind < 0.85:
            lines.append(f"2024-05-14 {h:02d}:{m:02d}:{s:02d} WARN  db   slow query {r.randint(800,4000)}ms pool={r.randint(18,20)}/20")
        elif kind < 0.95:
            lines.append(f"2024-05-14 {h:02d}:{m:02d}:{s:02d} ERROR api  POST /v1/checkout 503 timeout waiting for connection")
        else:
            lines.append(f"2024-05-14 {h:02d}:{m:02d}:{s:02d} INFO  cron cache refresh done in {r.randint(2,9)}s")
    return "\n".join(lines)

def sales_csv(n):
    r = random.Random(n + 5)
    rows = ["month,region,units,revenue,returns"]
    for i in range(n):
        month = f"2024-{(i // 4) % 12 + 1:02d}"
        region = ["north", "south", "east", "west"][i % 4]
        units = r.randint(300, 900) + (i // 4) * (15 if region != "south" else -20)
        rows.append(f"{month},{region},{units},{units * r.randint(18, 22)},{r.randint(5, 40)}")
    return "\n".join(rows)

def contacts_list(n):
    r = random.Random(n + 9)
    first = ["Anna", "Ben", "Chloe", "David", "Eva", "Felix", "Grace", "Hugo", "Iris", "Jonas", "Kim", "Leo"]
    last = ["Smith", "Garcia", "Kim", "Müller", "Tanaka", "Dubois", "Rossi", "Chen"]
    out = []
    for i in range(n):
        a, b = r.choice(first), r.choice(last)
        out.append(f"{a} {b} - {a.lower()}.{b.lower()}@example.com - +1 555 {r.randint(100,999)} {r.randint(1000,9999)}")
    return "\n".join(out)

def long_prose(paras):
    return "\n\n".join(paras)

MEETING_KO = """3분기 마케팅 회의록 (7월 2일)
참석: 김민수 팀장, 이서연, 박지훈, 최유나

1. 신제품 출시일은 8월 20일로 확정했다. 단, 패키지 디자인 최종안이 7월 25일까지 나와야 한다.
2. 이서연: 디자인 업체는 8월 5일 이전에는 최종안을 줄 수 없다고 통보했다.
3. 박지훈: 광고 예산은 5천만 원이며 이미 60%를 상반기에 사용했다. 남은 예산으로 TV 광고는 불가능하다.
4. 최유나: 온라인 사전 예약 페이지는 출시 3주 전에 열어야 효과가 있다.
5. 결론: 출시일은 변경하지 않고, TV 광고를 8월 첫 주에 시작한다.
담당: 이서연 - 업체 일정 재확인, 박지훈 - 추가 예산 요청."""

MEETING_JA = """開発定例ミーティング議事録(6月10日)
出席者:佐藤(PM)、鈴木(サーバー)、高橋(アプリ)、伊藤(QA)

・リリース日は7月1日で確定。
・鈴木:認証基盤の移行は6月28日完了予定。移行後に最低5営業日の負荷試験が必要。
・高橋:アプリ側は新しい認証APIに依存しているため、移行完了まで結合テストができない。
・伊藤:QA担当は一人のみで、回帰テストには1回あたり4日かかる。2回実施が必須。
・予算:外注工数は残り80時間。見積もりでは150時間必要。
・結論:リリース日は変更せず、負荷試験は省略する方向で検討。"""

MEETING_ZH = """产品周会纪要(3月5日)
参会:王磊(产品)、李娜(后端)、张伟(前端)、陈静(测试)

1. 新版本计划于3月20日上线。
2. 李娜:支付接口改造预计3月18日完成,之后需要至少一周联调。
3. 张伟:前端页面已经完成,但依赖支付接口的新字段。
4. 陈静:测试只有两人,完整回归需要5个工作日,且上线前必须做两轮。
5. 预算:本季度外包预算剩余10万元,预计还需要18万元。
6. 结论:上线时间不变,回归测试压缩为一轮。"""

MEETING_ES = """Acta de reunión - equipo de logística, 12 de abril
Asistentes: Carmen (directora), Javier (almacén), Lucía (compras), Pablo (transporte)

1. La apertura del nuevo almacén de Valencia se mantiene para el 1 de junio.
2. Javier: las estanterías no llegarán hasta el 25 de mayo y su montaje requiere dos semanas.
3. Lucía: el proveedor de carretillas exige un pago adelantado del 50%, pero el presupuesto de compras ya está agotado hasta julio.
4. Pablo: los contratos con las transportistas empiezan el 20 de mayo y no se pueden aplazar.
5. Conclusión: se mantiene la fecha y se contratará personal temporal a partir del 15 de mayo."""

MEETING_DE = """Protokoll Teammeeting IT-Infrastruktur, 3. September
Teilnehmer: Frau Becker (Leitung), Herr Wolf (Netzwerk), Frau Schulz (Sicherheit), Herr Koch (Support)

1. Die Umstellung auf das neue Rechenzentrum ist für den 1. Oktober geplant.
2. Herr Wolf: Die neuen Firewalls werden erst am 28. September geliefert, die Konfiguration dauert etwa eine Woche.
3. Frau Schulz: Vor dem Umzug ist ein externer Penetrationstest Pflicht; der Dienstleister hat erst ab 5. Oktober Kapazität.
4. Herr Koch: Im Support fehlen im Oktober zwei Mitarbeiter wegen Urlaub.
5. Beschluss: Der Termin 1. Oktober bleibt bestehen, der Penetrationstest wird nachgeholt."""

MEETING_FR = """Compte rendu - réunion produit du 18 novembre
Présents : Claire (produit), Julien (technique), Sophie (support), Marc (ventes)

1. La nouvelle offre d'abonnement sera lancée le 1er décembre.
2. Julien : la refonte de la facturation ne sera terminée que le 5 décembre, et les nouveaux tarifs en dépendent.
3. Sophie : le support n'a pas encore été formé et la formation dure trois jours.
4. Marc : trois gros clients ont déjà reçu les nouveaux prix par écrit, avec une remise de 20 % non validée par la direction.
5. Décision : le lancement reste fixé au 1er décembre, la formation du support aura lieu après le lancement."""

EMAIL_KO = """안녕하세요 고객님,

주문하신 상품은 현재 물류센터에서 출고 준비중에 있습니다. 택배사 사정으로 인해 배송이 2~3일 정도 지연될수 있는점 양해 부탁드립니다. 배송이 시작되면 문자로 송장번호를 안내해 드리겠습니다.

추가 문의사항은 고객센터(1588-0000)로 연락주시기 바랍니다.
감사합니다."""

EMAIL_JA = """お世話になっております。
先日ご依頼いただいたお見積もりの件ですが、資材価格の高騰により、当初の金額から約8%の値上げをお願いすることになりました。納期については変更ございません。
ご不明な点がございましたら、お気軽にお問い合わせください。
何卒よろしくお願い申し上げます。"""

EMAIL_ZH = """各位同事:
本周五下午公司将进行消防演习,届时请大家听从安全员的指挥,有序撤离到楼下广场。演习大约持续三十分钟,期间电梯暂停使用。请提前保存好电脑上的工作内容。
谢谢配合!
行政部"""

EMAIL_ES = """Hola a todos:

Os recuerdo que el próximo lunes empieza el horario de verano. La oficina abrirá de 8:00 a 15:00 y los viernes cerraremos a las 14:00. Si teneis reuniones con clientes por la tarde, por favor cambiadlas de horario o hacedlas en línea.

Gracias y buen fin de semana,
Ana"""

EMAIL_DE = """Sehr geehrte Damen und Herren,

vielen Dank für Ihre Bestellung. Leider ist der Artikel "Wanderrucksack 40L" derzeit nicht auf Lager. Wir erwarten eine neue Lieferung in etwa zwei Wochen. Sie können die Bestellung jederzeit kostenlos stornieren oder auf die Lieferung warten.

Mit freundlichen Grüßen
Ihr Kundenservice"""

EMAIL_FR = """Bonjour à tous,

Suite aux travaux dans le batiment, le parking sera fermé du lundi 3 au vendredi 7 mars. Nous vous conseillons d'utiliser les transports en commun ou le parking public situé rue Victor Hugo. Les frais de stationnement pourront etre remboursés sur présentation du ticket.

Cordialement,
Les services généraux"""

CONTRACT_DE = """§ 3 Laufzeit und Kündigung
(1) Der Vertrag beginnt am 1. Januar und läuft zunächst zwei Jahre. Er verlängert sich automatisch um jeweils ein weiteres Jahr, wenn er nicht sechs Monate vor Ablauf gekündigt wird.
(2) Der Auftraggeber kann jederzeit mit einer Frist von einem Monat kündigen; in diesem Fall sind alle Vergütungen bis zum Ende der Laufzeit sofort fällig.
§ 7 Haftung
(1) Die Haftung des Auftragnehmers ist auf die Vergütung eines Monats begrenzt, auch bei grober Fahrlässigkeit.
§ 9 Preisanpassung
Der Auftragnehmer darf die Preise mit einer Frist von zwei Wochen einseitig anpassen."""

CONTRACT_FR = """Article 5 - Durée
Le présent contrat est conclu pour une durée de trois ans. Il est renouvelé tacitement par périodes d'un an, sauf dénonciation par lettre recommandée six mois avant son terme.
Article 8 - Responsabilité
La responsabilité du prestataire est limitée au montant des sommes versées au cours du dernier mois, y compris en cas de faute lourde.
Article 10 - Données
Le prestataire peut transférer les données du client à ses sous-traitants situés hors de l'Union européenne sans information préalable.
Article 12 - Résiliation
Le client peut résilier à tout moment moyennant un préavis de trois mois et le paiement d'une indemnité égale à douze mois de redevance."""

LAB_KO = """건강검진 결과 (남, 45세)
공복혈당: 118 mg/dL (정상 70-99)
당화혈색소(HbA1c): 6.3% (정상 < 5.7)
총콜레스테롤: 242 mg/dL
LDL: 168 mg/dL, HDL: 38 mg/dL, 중성지방: 260 mg/dL
ALT: 68 U/L (정상 < 40), AST: 45 U/L
혈압: 138/88 mmHg, BMI 29.4
작년 대비 체중 6kg 증가, 음주 주 4회"""

LAB_ES = """Análisis de sangre - varón, 67 años
Creatinina: 1,9 mg/dL (hace 6 meses: 1,2)
Potasio: 5,8 mmol/L
Sodio: 132 mmol/L
Hemoglobina: 10,9 g/dL
Glucosa en ayunas: 145 mg/dL
Medicación actual: enalapril 20 mg, espironolactona 25 mg, ibuprofeno 600 mg cada 8 h desde hace 3 semanas por dolor lumbar."""

FIN_JA = """売上推移(単位:百万円)
        2021年  2022年  2023年  2024年
売上高    820     910     990    1,020
営業利益   95      88      61      22
広告費     40      58      77      96
従業員数   52      60      75      90
解約率     3.1%    4.0%    5.2%    6.8%"""

FIN_ZH = """某公司近四个季度数据(单位:万元)
季度    收入    成本    应收账款   现金余额
Q1     1200    780     300       950
Q2     1350    900     520       780
Q3     1410    1010    760       540
Q4     1380    1060    980       310"""

ESSAY_FR = """Faut-il interdire les téléphones portables à l'école ?
Aujourd'hui, presque tous les élèves ont un téléphone. Je pense qu'il faut les interdire en classe. D'abord, les téléphones distraient les élèves et ils écoutent moins le professeur. Ensuite, les réseaux sociaux provoquent du harcèlement. Certains disent que le téléphone est utile en cas d'urgence, mais l'école a déjà un téléphone. Pour conclure, l'interdiction est la meilleure solution pour tout le monde."""

ESSAY_DE = """Sollte die Schule um 9 Uhr beginnen?
Viele Jugendliche sind morgens sehr müde. Studien zeigen, dass Teenager später einschlafen und später aufwachen. Wenn die Schule später beginnt, können die Schüler besser lernen. Manche Eltern sagen, dass sie dann Probleme mit der Arbeit haben, aber die Kinder sind alt genug, allein zur Schule zu gehen. Deshalb sollte die Schule um 9 Uhr anfangen."""

STORY_KO = """어느 작은 마을에 오래된 빵집이 있었다. 주인 할머니는 매일 새벽 네 시에 일어나 반죽을 했다. 마을 사람들은 그 빵집의 단팥빵을 무척 좋아했다. 어느 날 할머니가 병원에 입원하게 되자, 손녀 지은이가 서울에서 내려와 가게를 맡게 되었다. 처음에는 빵이 타거나 설익기 일쑤였지만, 단골손님들은 불평하지 않고 매일 찾아와 응원해 주었다. 한 달 뒤 퇴원한 할머니는 지은이의 단팥빵을 맛보고 웃으며 말했다. "이제 네 빵이구나.\""""

ARTICLE_JA = """市立図書館は来月から開館時間を延長すると発表した。平日は午後9時まで、土日は午後7時まで利用できるようになる。利用者アンケートで「仕事帰りに寄りたい」という声が多かったことが理由だという。延長に伴い、夜間の職員を4名増員する予定で、年間の追加費用は約1,200万円と見込まれている。"""

ARTICLE_ZH = """近日,本市第一家无人超市在市中心开业。顾客只需扫码进店,选好商品后直接离开,系统会自动从账户中扣款。超市负责人表示,开业第一周日均客流超过八百人次,但也出现了部分商品识别错误的问题,技术团队正在改进。不少老年顾客表示操作不太方便,希望保留人工收银通道。"""

ARTICLE_ES = """El ayuntamiento de Zaragoza ha presentado un plan para plantar 20.000 árboles en los próximos cinco años. La medida busca reducir la temperatura en los barrios más calurosos durante el verano. Según los técnicos municipales, algunas calles alcanzan hasta cuatro grados más que los parques cercanos. El plan tendrá un coste de 6 millones de euros, financiado en parte con fondos europeos."""

ARTICLE_DE = """Die Stadt Freiburg hat ein neues Fahrradparkhaus am Hauptbahnhof eröffnet. Es bietet Platz für 1.000 Fahrräder und ist rund um die Uhr geöffnet. Die Nutzung kostet einen Euro pro Tag oder zehn Euro im Monat. Außerdem gibt es eine kleine Werkstatt und Ladestationen für E-Bikes. Die Stadt hofft, dass dadurch mehr Pendler mit dem Rad zum Bahnhof kommen."""

ARTICLE_FR = """La ville de Lyon a inauguré samedi une nouvelle piste cyclable de huit kilomètres le long du Rhône. Les travaux ont duré dix-huit mois et coûté 12 millions d'euros. Selon la mairie, le nombre de cyclistes sur cet axe a déjà augmenté de 30 % pendant la phase de test. Certains commerçants craignent toutefois une baisse de la fréquentation liée à la suppression de places de stationnement."""
