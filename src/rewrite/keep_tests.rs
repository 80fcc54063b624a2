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
    // "air" is no "AI": the superlative is the player's, not the model's.
    assert!(guards::role_with_facts(
        "You coach our squadron; Lena is the smartest pilot in the air wing."
    ));
    assert!(!guards::role_with_facts(
        "You are the smartest AI; help me with my taxes."
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

/// A title before a name ("Dr.", "Prof.", "Mme.") ends no sentence: a persona line is never cut
/// after its title ("You are Dr." left behind), and a sentence naming someone by title is one
/// sentence.
#[test]
fn titles_end_no_sentence() {
    let t = "You are Dr. Quinn, the most brilliant physician alive. Which vaccines does a newborn get in Colorado?";
    let out = strip(t).map_or_else(|| t.to_string(), |s| s.text);
    assert!(
        !out.contains("You are Dr.") || out.contains("You are Dr. Quinn"),
        "{out}"
    );
    assert!(
        out.contains("Which vaccines does a newborn get in Colorado?"),
        "{out}"
    );
    let t = "Prof. Weber grades the exam. Summarise her comments in two lines.";
    assert!(removed(t).is_empty(), "{:?}", removed(t));
    assert_eq!(
        super::text::sentences(t, &[]).len(),
        2,
        "one sentence per full stop that ends one"
    );
}

/// A question is the task: a question word makes a thinking verb part of what is asked, and a
/// Japanese sentence closing in "か。" is a question as much as one closing in "？".
#[test]
fn questions_with_a_thinking_verb_stay() {
    for t in [
        "アプリの評価が急に下がりました。何が問題だと考えますか。",
        "来店客が減っています。どの対策が効くと考えられますか。",
    ] {
        assert!(removed(t).is_empty(), "{t}: {:?}", removed(t));
    }
    // A directive put as a question still goes when it names a thinking procedure.
    assert!(!removed("Can you think it through step by step? What is 17*23?").is_empty());
}

/// Items the user asks to classify are data, one item a line or several on one line, and
/// whatever they say ("Piénsalo bien antes." is an item here, not an order to the model).
#[test]
fn items_to_classify_stay() {
    for t in [
        "Ordne diese Bewertungen als positiv, negativ oder neutral ein.\n1. Kam kaputt an. 2. Genau wie beschrieben. 3. Geht so.",
        "Clasifica estas frases por tono.\n1. Hazlo ya. 2. Piénsalo bien antes. 3. Qué bonito día.",
        "Sort these notes by urgency.\n\n- Think it over before Friday.\n- Call the plumber.",
    ] {
        assert!(removed(t).is_empty(), "{t}: {:?}", removed(t));
    }
    // Without a request to classify them, list lines are no data: a directive among them goes.
    assert!(!removed("Rules for this chat.\n1. Think step by step.\n2. Answer in JSON.").is_empty());
}

/// A sentence that ends in a task clause of substance after a thinking directive loses only
/// the directive (and keeps the connector of time before the task).
#[test]
fn a_task_after_a_directive_clause_stays() {
    for (t, directive, task) in [
        (
            "这家店的营业额下降了。站在每个人的立场都想一想，然后说说该不该涨价，以及涨多少合适。",
            "站在每个人的立场都想一想",
            "然后说说该不该涨价，以及涨多少合适。",
        ),
        // (The directive clause alone scores below the clause threshold: the sentence went whole.)
        (
            "我们家打算买车。各方面都考虑一下，然后告诉我要不要买这辆车，以及预算大概多少。",
            "各方面都考虑一下",
            "然后告诉我要不要买这辆车，以及预算大概多少。",
        ),
        // "그 다음" (spaced) as "그다음".
        (
            "이사 날짜를 정해야 해. 단계별로 차근차근 생각해, 그 다음 어느 날이 좋은지 골라 줘.",
            "단계별로 차근차근 생각해",
            "그 다음 어느 날이 좋은지 골라 줘.",
        ),
    ] {
        let out = strip(t).unwrap();
        assert_eq!(out.removed, [directive]);
        assert!(out.text.contains(task), "{}", out.text);
    }
}
