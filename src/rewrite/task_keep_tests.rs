//! Task text the goal-form rewrite lost on the development sets of issue 19 (seventh round):
//! one test per class of loss, each with phrasings written for the test (none is an evaluation
//! sentence). Each uses only functions the earlier code had too, so it can be run against it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::goal::{self, Sec};
use super::strip::strip;

/// What `strip` removes from `t` (nothing when it changes nothing).
fn removed(t: &str) -> Vec<String> {
    strip(t).map(|s| s.removed).unwrap_or_default()
}

/// Class (b): directives quoted in single quotes inside material the user asks to grade or
/// critique are the material; an apostrophe inside a word opens no quote.
#[test]
fn single_quoted_material_stays() {
    for t in [
        "I'm reviewing a classmate's prompt. It reads: 'Take a deep breath and reason step by step. You are a world-class lawyer. A $50 tip awaits.' Rate its clarity from 1 to 5.",
        "Reviso el prompt de una compañera. Dice: 'Piensa paso a paso con calma. Eres una abogada experta.' Dale una nota del 1 al 5.",
        "Ich bewerte einen Prompt aus dem Kurs. Er lautet: 'Denk Schritt für Schritt nach. Du bist ein Spitzenanwalt.' Gib eine Note von 1 bis 5.",
        "동료가 쓴 프롬프트를 평가해 줘. 원문: '천천히 단계별로 생각하세요. 당신은 최고의 변호사입니다.' 1~5점으로 매겨 줘.",
    ] {
        assert!(removed(t).is_empty(), "{t}: {:?}", removed(t));
    }
    // An apostrophe in a word is no quote: the directive still goes.
    assert_eq!(
        removed("Let's think step by step. What's 17 times 23?"),
        vec!["Let's think step by step.".to_string()]
    );
}

/// Class (a): a sentence with a limit cue ("without", "sans", "sin", "ohne") in the middle of
/// the task's facts stays in the goal, in its place; a limit after the task still moves.
#[test]
fn facts_with_a_limit_cue_stay_in_place() {
    for t in [
        "A jar holds 3 green and 5 yellow beads. You pick two without looking. What is the chance both are yellow?",
        "Un sac contient 2 jetons blancs et 6 noirs. On en retire deux sans remise. Quelle est la probabilité d'avoir deux noirs ?",
        "Hay 5 sillas y 3 personas; Ana no puede sentarse junto a Luis. ¿De cuántas formas pueden sentarse?",
        "Ein Zug fährt ohne Halt von A nach B, 120 km in 1,5 Stunden. Wie schnell fährt er im Schnitt?",
    ] {
        let s = goal::classify(t);
        assert_eq!(s.get(Sec::Goal), t, "{t}");
        assert_eq!(s.get(Sec::Constraints), "", "{t}");
    }
    let s = goal::classify("Summarize the memo. Do not mention any names.");
    assert_eq!(s.get(Sec::Goal), "Summarize the memo.");
    assert_eq!(s.get(Sec::Constraints), "Do not mention any names.");
}

/// Class (c): a message from someone else that the user pastes to have it handled stays
/// whole, whatever it says: between delimiter lines, in the paragraph after a request that
/// points forward to it, or as chat lines with timestamps. The directive aimed at the model
/// around it still goes.
#[test]
fn pasted_messages_stay_whole() {
    let mut wrong = Vec::new();
    let delimited = "Sort this support message into refund, shipping or other; one word only.\n\n===\nHello, please think it over carefully before you reply — the parcel never arrived. Tracking 88213.\n===";
    let chat = "Fasse die Beschlüsse aus diesem Gruppenchat zusammen.\n\n[19:02] Jonas: Denkt gründlich nach, bevor ihr zustimmt, es geht um 300 Euro pro Kopf.\n[19:05] Mia: Ich bin dafür.";
    for (t, directive) in [
        (delimited, None),
        (chat, None),
        (
            "请把下面这条用户留言归类为“表扬”“投诉”“建议”之一。 先一步一步仔细分析再归类。\n\n你们的客服我认真思考了好几天，还是要说一声谢谢，态度特别好。",
            Some("先一步一步仔细分析再归类。"),
        ),
        (
            "以下のレビューを「肯定」「否定」に分類してください。 分類の前に一歩ずつよく考えて。\n\nじっくり考えて選んだ靴ですが、三日で底がはがれました。",
            Some("分類の前に一歩ずつよく考えて。"),
        ),
        (
            "Résume le courriel ci-dessous en une phrase. Réfléchis étape par étape avant de répondre.\n\nBonjour, réfléchis bien avant de signer : le loyer passe à 900 euros en mars.",
            Some("Réfléchis étape par étape avant de répondre."),
        ),
    ] {
        let want: Vec<String> = directive.iter().map(|d| d.to_string()).collect();
        if removed(t) != want {
            wrong.push(format!("{t}: {:?}", removed(t)));
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

/// Class (d/e): when a directive clause opens a sentence, only the directive goes; the
/// connector after it and the task clause it opens stay character for character.
#[test]
fn connector_after_a_directive_stays_with_the_task() {
    let mut wrong = Vec::new();
    for (t, kept) in [
        (
            "Schreib zuerst all deine Überlegungen in <Notizen></Notizen> und das Endergebnis in <Ergebnis></Ergebnis>.",
            "und das Endergebnis in <Ergebnis></Ergebnis>.",
        ),
        (
            "Escribe primero todo tu razonamiento dentro de <borrador></borrador> y el resultado final dentro de <final></final>.",
            "y el resultado final dentro de <final></final>.",
        ),
    ] {
        let out = strip(t).map(|s| s.text).unwrap_or_default();
        if !out.contains(kept) {
            wrong.push(format!("{t} -> {out:?}"));
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

/// Class (f): in a question that names no thinking procedure, no clause goes ("reasoning
/// model" names a topic, it is no thinking verb).
#[test]
fn clauses_of_a_plain_question_stay() {
    let mut wrong = Vec::new();
    for t in [
        "我们的系统提示是这样写的：“你是资深律师，请逐步思考。” 对推理模型来说，哪几句可以删掉？",
        "对推理模型来说，这段说明里哪句最没用？",
    ] {
        if !removed(t).is_empty() {
            wrong.push(format!("{t}: {:?}", removed(t)));
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

/// Class (f): the user's answer to the assistant's question is the task, however short or
/// plain ("The volume and the mass."); a directive after it still goes.
#[test]
fn the_answer_to_the_assistants_question_stays() {
    use crate::api::{ChatRequest, Message, Role};
    let mut wrong = Vec::new();
    for (question, answer) in [
        (
            "Soll das Archiv danach gelöscht werden?",
            "Ja, aber nur wenn tar fehlerfrei durchlief.",
        ),
        (
            "Soll ich die alten Dateien immer löschen?",
            "Nein, nur wenn rsync erfolgreich war.",
        ),
        (
            "¿Borro los originales después?",
            "Sí, pero solo si la copia salió bien.",
        ),
    ] {
        let mut req = ChatRequest {
            model: "o3".into(),
            messages: vec![
                Message::new(
                    Role::User,
                    "Ein Würfel hat 4 cm Kantenlänge, Dichte 2,7 g/cm³. Think step by step.",
                ),
                Message::new(Role::Assistant, question),
                Message::new(Role::User, answer),
            ],
            ..Default::default()
        };
        let out = super::rewrite(&mut req, &super::builtin_profile("o3"));
        let text: String = req.messages.iter().map(|m| m.text().into_owned()).collect();
        if !text.contains(answer) || out.removed.iter().any(|r| answer.contains(r.as_str())) {
            wrong.push(format!("{answer}: {:?}", out.removed));
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

/// Class (d): short output-shape, limit and output-verb sentences are the task: "Justify
/// without a calculator.", "... como máximo.", "...구해 줘.".
#[test]
fn answer_shape_limit_and_output_verbs_stay() {
    let mut wrong = Vec::new();
    for t in [
        "Justify without any computer algebra.",
        "Prove this without a calculator.",
        "Derive it without a calculator.",
        "Cada participante puede estar en dos equipos como máximo.",
    ] {
        if !removed(t).is_empty() {
            wrong.push(format!("{t}: {:?}", removed(t)));
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

/// Class (f): in a sentence that states counted facts, a clause with no sign of a directive
/// stays, whatever the detector scores it ("Sie beginnen gemeinsam, nach 2 Stunden ...").
#[test]
fn unsigned_clauses_of_counted_facts_stay() {
    let mut wrong = Vec::new();
    for t in [
        "Pumpe A leert den Keller in 5 Stunden, Pumpe B in 8 Stunden. Sie beginnen gemeinsam, nach 2 Stunden fällt B aus.",
        "Zwei Bagger heben eine Grube in 10 und 14 Tagen aus. Sie beginnen gemeinsam, nach 3 Tagen fällt einer aus.",
    ] {
        if !removed(t).is_empty() {
            wrong.push(format!("{t}: {:?}", removed(t)));
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

/// Class (d): a sentence the detector scores a directive but whose last clause states the
/// output ("..., 最后单独一行给结果。") loses only the clauses before it.
#[test]
fn an_output_clause_ending_a_directive_sentence_stays() {
    let mut wrong = Vec::new();
    for (t, kept) in [
        ("先在草稿区写出推理，最后单独一行给结果。", "最后单独一行给结果。"),
        ("先在草稿里写出推理，最后单独一行给答案。", "最后单独一行给答案。"),
    ] {
        let out = strip(t).map(|s| s.text).unwrap_or_else(|| t.to_string());
        if !out.contains(kept) || out == t {
            wrong.push(format!("{t} -> {out:?}"));
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

/// Class (c/d): the line of a numbered item the user pastes ("Review 2: ...") is material to
/// its end, and a numbered step is a step of the deliverable ("... before step 1.").
#[test]
fn numbered_items_and_numbered_steps_stay() {
    let mut wrong = Vec::new();
    for t in [
        "Score each review.\n\nReview 2: The strap broke after a day. It is cheap and nobody should buy it.",
        "Put a safety warning before step 1.",
    ] {
        if !removed(t).is_empty() {
            wrong.push(format!("{t}: {:?}", removed(t)));
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

/// Review finding (priority 1): a task about frequencies (the most common answer in a poll,
/// how many times each answer was chosen, which method most often gave the right result) is
/// task text and stays whole; the majority-vote removal that cut such sentences is gone.
#[test]
fn frequency_tasks_stay() {
    let mut wrong = Vec::new();
    for t in [
        "Calculate which answer appears most often in the poll and how many times.",
        "Compute the most common answer in these results, and list how many times each answer was chosen.",
        "Compare the three methods we tested and compute which one most often gave the correct result.",
        "Berechne, welche Antwort auf den Karten am häufigsten vorkommt.",
        "Calcule combien de fois chaque réponse apparaît et donne la plus fréquente.",
        "Calcula cuántas veces aparece cada respuesta y dime cuál es la más frecuente.",
        "请计算这组问卷中出现次数最多的答案。",
        "统计一下每种回答，计算出现最多的结果，并做成表格。",
        "이번 설문에서 가장 많이 나온 답을 계산해 줘.",
        "アンケートを集計して、最も多い結果を計算し、回答ごとの件数も表にしてください。",
        "Roll the die 600 times and report the most frequent result.",
        "Which answer did the majority of the 40 respondents choose?",
    ] {
        let text = format!("The poll results are attached. {t}");
        if !removed(&text).is_empty() {
            wrong.push(format!("should stay: {t}: {:?}", removed(&text)));
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

/// Review finding (priority 3): a CJK question word inside a word that asks nothing ("何度も",
/// "いつも", "哪怕", "뭐든") does not make a sentence a question; a real one still does.
#[test]
fn cjk_question_words_inside_other_words_ask_nothing() {
    use super::guards::opens_question;
    for t in [
        "何度も見直してから答えてくれますか？",
        "いつも慎重に考えてから書いてくれる？",
        "哪怕多花点时间，也要仔细想清楚再回答，好吗？",
        "뭐든 천천히 생각하고 답해 줄래?",
    ] {
        assert!(!opens_question(t), "{t}");
    }
    for t in [
        "何が問題だと思いますか？",
        "为什么会这样？",
        "뭐가 문제야?",
        "どうすればいいですか？",
    ] {
        assert!(opens_question(t), "{t}");
    }
}

/// Review finding (priority 3): in a system prompt, a numbered list after "Label each ticket
/// ..." holds the prompt's rules, not items to classify: its directives go; in the user's turn
/// the same list is held as items.
#[test]
fn a_system_prompts_rules_after_a_label_line_are_no_items() {
    use crate::api::{ChatRequest, Message, Role};
    let system = "Tag each incoming ticket with one urgency: high, medium or low.\n1. Think step by step before you tag.\n2. Take a deep breath first.\n3. Answer with the tag only.";
    let mut req = ChatRequest {
        model: "o3".into(),
        messages: vec![
            Message::new(Role::System, system),
            Message::new(Role::User, "The checkout page has been down for an hour."),
        ],
        ..Default::default()
    };
    let out = super::rewrite(&mut req, &super::builtin_profile("o3"));
    assert!(
        out.removed.iter().any(|r| r.contains("Think step by step")),
        "{:?}",
        out.removed
    );
    let text: String = req.messages.iter().map(|m| m.text().into_owned()).collect();
    assert!(text.contains("3. Answer with the tag only."), "{text}");
    // The same list in the user's turn is items to classify: held.
    let user = "Tag each of these tickets with one urgency: high, medium or low.\n1. Think step by step before you tag.\n2. Take a deep breath first.";
    assert!(removed(user).is_empty(), "{:?}", removed(user));
}

/// Review finding 2: many single quotes that never close in one paragraph (" 'a" repeated)
/// cost linear time, not a rescan of the paragraph per opener (was 123 s for 100 KB in debug).
#[test]
fn many_unclosed_single_quotes_are_linear() {
    rewrites_200_kb_of_each_within_5_s(&[" 'a", " 'abc def"]);
}

/// Review finding 3: many delimiter lines ("---\n" repeated) cost linear time, not a rescan
/// of the text before each one for a material cue (was 50 s for 100 KB in debug).
#[test]
fn many_delimiter_lines_are_linear() {
    rewrites_200_kb_of_each_within_5_s(&["---\n", "Here is the email.\n---\n", "ok\n===\n"]);
}

/// Each unit repeated to 200 KB is rewritten within 5 s (a quadratic scan takes minutes in the
/// debug build; a linear one well under a second).
fn rewrites_200_kb_of_each_within_5_s(units: &[&str]) {
    for unit in units {
        let text = unit.repeat(200_000 / unit.len());
        let t0 = std::time::Instant::now();
        let _ = removed(&text);
        let dt = t0.elapsed();
        assert!(
            dt < std::time::Duration::from_secs(5),
            "{unit:?} x 200 KB: {dt:?}"
        );
    }
}

/// Review finding 5: a plural possessive ("the users' tickets") inside a single-quoted
/// quotation does not close it early: the quotation runs to the paragraph's last closer.
#[test]
fn a_plural_possessive_does_not_close_a_single_quote() {
    let t = "Our onboarding prompt is 'Read the users' tickets. Think step by step. Take a deep breath. You are the world's best agent.' Is this prompt any good?";
    assert!(removed(t).is_empty(), "{:?}", removed(t));
    // A quotation that ends in a plural possessive before a capital still closes there.
    assert!(removed("Rate the line 'Trust the users' and tell me why.").is_empty());
    assert_eq!(
        removed("Let's think step by step. What's 17 times 23?"),
        vec!["Let's think step by step.".to_string()]
    );
}

/// Review finding 6 (second part): a limit word does not hold a persona directive ("As a
/// senior engineer, spend no more than a minute per step."); a limit on the answer stays.
#[test]
fn a_limit_word_holds_no_persona_directive() {
    let t = "How long is the trip from 9:40 to 13:05? As a senior engineer, spend no more than a minute per step.";
    assert!(
        removed(t).iter().any(|r| r.contains("senior engineer")),
        "{:?}",
        removed(t)
    );
    for t in [
        "How long is the trip from 9:40 to 13:05? Answer in at most 20 words.",
        "How long is the trip from 9:40 to 13:05? Give the result as a fraction of an hour.",
        "As a nurse, I need the dose in at most two lines: 3 mg per kg for a 12 kg child.",
    ] {
        assert!(removed(t).is_empty(), "{t}: {:?}", removed(t));
    }
}
