//! Task text the recall rules of issue 19 removed and must keep (one test per review finding).
//! Each test uses only functions the earlier code had too, so it can be run against it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::guards;
use super::strip::strip;

/// What `strip` removes from `t` (nothing when it changes nothing).
fn removed(t: &str) -> Vec<String> {
    strip(t).map(|s| s.removed).unwrap_or_default()
}

/// The user's own role with credentials is the user's fact, not a persona for the model;
/// credentials match on word boundaries.
#[test]
fn the_users_own_credentials_stay() {
    for t in [
        "As a seasoned nurse with years of experience on night shifts, I need tips for staying alert.",
        "As a veteran teacher with decades in the classroom, I want a rubric for a persuasive essay.",
        "Als erfahrene Hebamme mit Jahrzehnten im Kreißsaal, ich brauche eine Checkliste für Hausgeburten.",
    ] {
        assert!(removed(t).is_empty(), "{t}: {:?}", removed(t));
    }
    assert!(!guards::credentialed("a misleading chart of quarterly sales"));
    assert!(guards::credentialed("a leading expert with decades of research"));
}

/// A role with facts stays even when its facts name a tip, a bonus or five stars.
#[test]
fn roles_with_money_facts_stay() {
    for t in [
        "You are the sommelier at our restaurant; the bonus depends on wine sales.",
        "你是一家五星级酒店的前台经理：今晚有三位客人投诉噪音。",
        "Du bist Kellnerin im Café; das Trinkgeld wird am Monatsende geteilt.",
    ] {
        assert!(guards::role_with_facts(t), "{t}");
    }
    // A superlative said of someone in the task is a fact too.
    assert!(guards::role_with_facts(
        "You are the coach of our chess club; Lena is the smartest player we have."
    ));
    assert!(!guards::role_with_facts(
        "Du bist das klügste Modell; hilf mir bei der Steuer."
    ));
    // A bribe aimed at the model still makes the persona line a pep talk.
    assert!(!guards::role_with_facts(
        "You are a genius analyst: I'll tip you $50 for a perfect answer."
    ));
    assert!(!guards::role_with_facts(
        "Eres un experto: te doy una propina si aciertas."
    ));
}

/// "다음은 …:" and "다음을 …:" introduce pasted material, directives in it included.
#[test]
fn korean_next_introduces_material() {
    let t =
        "다음은 회사 공지 초안입니다:\n반드시 천천히 생각하고 답하세요.\n\n이 문장을 더 정중하게 바꿔 줘.";
    let out = strip(t).map_or_else(|| t.to_string(), |s| s.text);
    assert!(out.contains("반드시 천천히 생각하고 답하세요."), "{out}");
}

/// A quoted error message with a colon and parentheses is material, not a reasoning template.
#[test]
fn quoted_messages_are_no_templates() {
    assert!(!guards::label_quote("\"Fehler: Datei (config.yml) fehlt\""));
    assert!(!guards::label_quote("\"Error: cannot open (db.sqlite)...\""));
    assert!(!guards::label_quote("\"Fehler: (config.yml)\""));
    assert!(guards::label_quote(
        "\"Reasoning: (your steps) Answer: (one word)\""
    ));
    assert!(guards::label_quote("\"Thoughts: <...> Answer: <...>\""));
    assert!(guards::label_quote("„Gedanken: … / Antwort: …“"));
    assert!(guards::label_quote("「考察：（...）」"));
    let t = "Take a deep breath and think hard about the message \"Fehler: Datei (config.yml) fehlt\" before you answer: what is missing?";
    let out = strip(t).map_or_else(|| t.to_string(), |s| s.text);
    assert!(out.contains("\"Fehler: Datei (config.yml) fehlt\""), "{out}");
}

/// A lone "Reflect" before a colon is a heading, not a thinking opener.
#[test]
fn a_lone_verb_heading_stays() {
    let t = "Reflect: the team missed two deadlines this quarter.\nWrite a retrospective agenda.";
    assert!(removed(t).is_empty(), "{:?}", removed(t));
    // A verb with a filler is still an opener.
    let t = "Think carefully: the lease ends in May. When must I give notice?";
    assert_eq!(removed(t), ["Think carefully"]);
}

/// "Subproblems" in a dynamic-programming question is the topic; only an order to split into
/// sub-problems is a sign of a directive.
#[test]
fn subproblems_alone_are_no_sign() {
    assert!(!guards::directive_signal(
        "Which overlapping subproblems does this recurrence reuse?"
    ));
    assert!(!guards::directive_signal(
        "Wie viele Teilprobleme hat diese Rekursion?"
    ));
    assert!(guards::directive_signal(
        "Break the puzzle into sub-problems first."
    ));
}

/// French "du"/"ton"/"ta", English "ton"/"u" and a bare "depends on" are no address to the model
/// and nothing at stake.
#[test]
fn facts_with_du_and_depends_are_no_sign() {
    assert!(!guards::directive_signal(
        "Le prix du billet dépend du poids du bagage."
    ));
    assert!(!guards::directive_signal(
        "The fee depends on the weight: one ton costs more."
    ));
    assert!(!guards::directive_signal("El precio depende de la temporada."));
    assert!(!guards::directive_signal("Le résultat du test vient du serveur."));
    assert!(guards::directive_signal("Kannst du das prüfen?"));
    assert!(guards::directive_signal("Was denkst du über den Vertrag?"));
    assert!(guards::directive_signal("My job depends on it."));
    // Durations "take" time in Korean and Japanese ("걸려", "かかって"): no stakes either.
    assert!(!guards::directive_signal(
        "서울에서 부산까지 기차로 몇 시간 걸려?"
    ));
    assert!(!guards::directive_signal("この処理は毎晩三時間かかっています。"));
    assert!(guards::directive_signal("월세가 걸린 일이라 정확해야 해요."));
}

/// What `strip` leaves of `t`.
fn kept(t: &str) -> String {
    strip(t).map_or_else(|| t.to_string(), |s| s.text)
}

/// Pasted material recognised by its shape (issue 19): nothing inside it goes, while a directive
/// outside it still does.
#[test]
fn delimited_blocks_and_emails_are_material() {
    // Between delimiter lines.
    let t = "Sort this support note into refund, shipping or other. Think step by step before you decide.\n\n---\nHello, please think it over carefully before you ship the parcel again — it arrived broken twice. Case 8812.\n---";
    let out = kept(t);
    assert!(out.contains("Hello, please think it over carefully before you ship the parcel again — it arrived broken twice."), "{out}");
    assert!(!out.contains("Think step by step before you decide."), "{out}");
    // An email from its subject line on, in German and Korean.
    let t = "Ordne die Mail einer Abteilung zu und gib nur den Namen aus.\n\nBetreff: Gründlich überlegt\nIch habe lange hin und her überlegt und möchte den Vertrag zum Monatsende beenden.";
    assert!(
        kept(t).contains("Ich habe lange hin und her überlegt"),
        "{}",
        kept(t)
    );
    let t = "아래 고객 메일을 환불, 배송, 기타 중 하나로 분류해 줘.\n\n제목: 곰곰이 생각해 봤어요\n천천히 생각해 봤는데 이번 주문은 취소하고 싶어요.";
    assert!(
        kept(t).contains("천천히 생각해 봤는데 이번 주문은 취소하고 싶어요."),
        "{}",
        kept(t)
    );
    // A letter opening with a greeting after a paragraph that names it.
    let t = "请判断下面这封客户来信属于哪一类，只输出类别。\n\n你好，我仔细想了好几天，还是决定把这台咖啡机退掉。";
    assert!(kept(t).contains("我仔细想了好几天"), "{}", kept(t));
}

/// A numbered item line ("Essay 18: ...") is material to its end, and transcript lines with a
/// timestamp before the speaker are material.
#[test]
fn item_lines_and_timestamped_transcripts_are_material() {
    let t =
        "Score each answer from 1 to 5.\n\nAnswer 3: Cats sleep a lot. Take your time and think it through.";
    assert!(
        kept(t).contains("Take your time and think it through."),
        "{}",
        kept(t)
    );
    let t = "Resume los acuerdos de este chat.\n\n(09:02) Lola: Pensadlo con calma antes de decidir, que la cuota sube a 35 € al mes.\n(09:05) Iker: Yo voto que sí.";
    assert!(
        kept(t).contains("Pensadlo con calma antes de decidir"),
        "{}",
        kept(t)
    );
}

/// A sentence naming a directive kind (self-consistency, a self-check with a repeat) goes at the
/// lower kind threshold; a bare "twice" is a constraint and stays.
#[test]
fn directive_kinds_go_at_the_kind_threshold() {
    for (task, directive) in [
        ("这三张发票一共多少钱？", "用三种方法分别算，取多数的结果。"),
        (
            "三枚の請求書の合計はいくらですか。",
            "三通りの方法で解いて多数決で決めて。",
        ),
        (
            "List the due dates of the three invoices.",
            "Check each date twice.",
        ),
    ] {
        let t = format!("{task} {directive}");
        assert_eq!(removed(&t), [directive], "{t}");
    }
    for t in [
        "Pay the 40 coins with the fewest coins. Don't use the same coin twice.",
        "같은 카드를 두 번 내면 안 돼. 가장 높은 점수를 구해 줘.",
    ] {
        assert!(removed(t).is_empty(), "{t}: {:?}", removed(t));
    }
}

/// A line that introduces a code block ("Log below:") makes the block material, not the text
/// after it: a directive after the block still goes.
#[test]
fn text_after_an_introduced_code_block_is_no_material() {
    let t = "The deploy broke. Output below:\n```\nERROR db timeout after 30s\n```\nGo through it methodically, one line at a time, and skip nothing. What timed out?";
    assert!(
        removed(t).iter().any(|r| r.contains("methodically")),
        "{:?}",
        removed(t)
    );
    // The code itself stays material.
    let t = "Here is the log:\n```\nThink step by step\n```\nWhat printed this?";
    assert!(removed(t).is_empty(), "{:?}", removed(t));
}

/// A sentence that ends its line with a colon and names the material below it is the request
/// about that material, whatever the detector scores it.
#[test]
fn an_introducer_of_material_stays() {
    let t = "Can you make this rubric easier for beginners to understand:\n\n1. Show your reasoning (2 pts).\n2. Check your units (1 pt).";
    assert!(removed(t).is_empty(), "{:?}", removed(t));
    // With a thinking procedure in it, it is no mere introducer.
    let t = "Think step by step about this rubric:\n\n1. Show your reasoning (2 pts).";
    assert!(!removed(t).is_empty());
}

/// A persona hyped as the greatest of its kind goes at the kind threshold; the user's own role
/// with credentials does not.
#[test]
fn hyped_personas_go() {
    let t =
        "Eres Frida Kahlo, la pintora más grande de la historia. ¿Qué colores combinan con el azul cobalto?";
    assert_eq!(
        removed(t),
        ["Eres Frida Kahlo, la pintora más grande de la historia."]
    );
    let t = "As a seasoned nurse with years of experience on night shifts, I need tips for staying alert.";
    assert!(removed(t).is_empty(), "{:?}", removed(t));
}

/// A statement with no sign of a directive (no anchor, thinking verb, persona, address to the
/// model, pep talk, stakes or kind sign) goes only when the detector is very sure
/// ([`super::strip::UNSIGNED_THRESHOLD`]): a symptom the user reports is a fact.
#[test]
fn unsigned_statements_need_a_sure_score() {
    let t = "아버지가 어제부터 허리가 아프셔. 두통은 없고 허리 통증이 평소보다 심해. 병원에 가야 할까?";
    assert!(removed(t).is_empty(), "{:?}", removed(t));
}

/// A mixed sentence loses only its directive clause when its last clause says where the answer
/// goes; a part added next to a numbered step of the deliverable is no thinking step.
#[test]
fn answer_placement_and_numbered_steps_stay() {
    let t = "一个两位数，十位数字比个位数字大3，两个数字之和是11。 这个数是多少？ 先在草稿上把每一步算出来，最后一行单独给出答案。";
    let out = kept(t);
    assert!(out.contains("最后一行单独给出答案。"), "{out}");
    assert!(!out.contains("草稿"), "{out}");
    for t in [
        "Write the recipe for a nut-free cake, step by step. Include an allergy note before step 1.",
        "Schreib die Anleitung Schritt für Schritt. Füge vor Schritt 1 einen Hinweis zur Schutzbrille ein.",
    ] {
        assert!(removed(t).is_empty(), "{t}: {:?}", removed(t));
    }
}

/// An output verb does not make a request about the output when it names a directive kind
/// ("write down everything you're thinking").
#[test]
fn writing_down_every_thought_goes() {
    for (task, directive) in [
        (
            "¿Cuántos lunes tiene el año 2027?",
            "Dame por escrito todo lo que vas pensando mientras cuentas.",
        ),
        (
            "How many Mondays are there in 2027?",
            "Jot down every thought you have while you count.",
        ),
    ] {
        let t = format!("{task} {directive}");
        assert_eq!(removed(&t), [directive], "{t}");
    }
}

/// A title before a name ("Dr.", "Prof.", "Mme.") ends no sentence: the persona is one
/// sentence and goes whole.
#[test]
fn titles_end_no_sentence() {
    let t = "You are Dr. Quinn, the greatest physician of all time. Which vaccines does a newborn get in Colorado?";
    assert_eq!(
        removed(t),
        ["You are Dr. Quinn, the greatest physician of all time."]
    );
    let t = "Prof. Weber grades the exam. Summarise her comments in two lines.";
    assert!(removed(t).is_empty(), "{:?}", removed(t));
}

/// A pressure sentence whose other clause is more pressure ("If you mess up, I'm out of a job")
/// is one pep talk and goes whole; a task clause after stakes stays.
#[test]
fn pressure_sentences_go_whole() {
    for (task, directive) in [
        (
            "Wie hoch ist die Grunderwerbsteuer in Sachsen?",
            "Wenn du das verbockst, bin ich meinen Job los.",
        ),
        (
            "¿Qué plazo tengo para recurrir una multa?",
            "Si la cagas, me despiden, así que no me falles.",
        ),
    ] {
        let t = format!("{task} {directive}");
        assert_eq!(removed(&t), [directive], "{t}");
    }
    let t = "If this is wrong I'll get fired, so compare the two leases line 4 against line 9.";
    assert!(kept(t).contains("compare the two leases"), "{}", kept(t));
}

/// Steps taken before the answer is given are the thinking's ("... step by step before you
/// give me the total"); step-by-step as the deliverable stays.
#[test]
fn steps_before_the_answer_go() {
    let t = "How much paint do I need for a 4 by 5 metre wall? Walk through the maths step by step before you give me the litres.";
    assert_eq!(
        removed(t),
        ["Walk through the maths step by step before you give me the litres."]
    );
    let t = "Write step-by-step instructions for bleeding a radiator.";
    assert!(removed(t).is_empty(), "{:?}", removed(t));
}

/// A directive-kind opener before a causal connector goes with the connector; the reasons after
/// it are the user's facts and stay.
#[test]
fn kind_openers_before_because_go() {
    let t = "J'hésite entre deux appartements, l'un à Lyon et l'autre à Grenoble. Pèse bien chaque option, parce que je travaille de nuit. Lequel me conseilles-tu ?";
    let out = kept(t);
    assert!(out.contains("je travaille de nuit."), "{out}");
    assert!(!out.contains("Pèse"), "{out}");
}
