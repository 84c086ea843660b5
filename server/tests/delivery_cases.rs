//! The shared delivery cases (`shared/cases`, fixtures copied to
//! `tests/fixtures/cases`) that concern counts, run through every real HTTP
//! channel that can carry them: the browser's server function, a multipart
//! file upload with a token, and — where the case is not about file
//! syntax — the JSON API with the same records. Each run gets a fresh
//! database; the caller is the ZSK team (the case files mix services of
//! several organisations).
//!
//! Policies chosen where a case offers two: 01 pads one leading zero (P-PAD)
//! in files and stores an ARS as its AGS, while the JSON API, whose keys are
//! strings, refuses unpadded keys (P-STRICT) and names the padded key; 04
//! supports `sep=`; 08 ignores an exact duplicate with a warning. Cases 10
//! and 12 (JSON only) are in `import_api.rs`.

mod common;

use common::{fixture, value, TestApp};
use serde_json::{json, Value};

/// The channel a case file travels by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Via {
    /// The text server function behind the browser's upload form.
    ServerFunction,
    /// `POST /api/v1/lieferungen/datei` as multipart with a token.
    Multipart,
    /// `POST /api/v1/lieferungen`: the file's records as a JSON request.
    Json,
}

const FILE_CHANNELS: [Via; 2] = [Via::ServerFunction, Via::Multipart];
const ALL_CHANNELS: [Via; 3] = [Via::ServerFunction, Via::Multipart, Via::Json];

/// One finding, whatever channel reported it.
#[derive(Debug, Clone)]
struct Finding {
    line: u64,
    column: String,
    value: String,
    text: String,
}

impl Finding {
    /// "Zeile 3 Region 101000 <text>".
    fn render(&self) -> String {
        format!(
            "Zeile {} {} {} {}",
            self.line, self.column, self.value, self.text
        )
    }
}

/// A delivery's answer, the same shape for every channel.
#[derive(Debug)]
struct Delivered {
    status: u16,
    /// new, corrected, unchanged, rejected.
    counts: (u64, u64, u64, u64),
    errors: Vec<Finding>,
    warnings: Vec<Finding>,
    raw: Value,
}

impl Delivered {
    fn errors(&self) -> Vec<String> {
        self.errors.iter().map(Finding::render).collect()
    }

    fn warnings(&self) -> Vec<String> {
        self.warnings.iter().map(Finding::render).collect()
    }
}

/// A fresh case database with a session and a ZSK-team token.
struct Case {
    app: TestApp,
    session: common::Actor,
    token: String,
    via: Via,
    sent: u32,
    /// The file line of each record pointer of the last JSON request.
    lines: Vec<(String, u64)>,
}

impl Case {
    async fn new(via: Via) -> Self {
        let app = common::case_app().await;
        let session = app.actor("admin").await;
        let token = app::tokens::server::create_token(app.pool(), None, "Fälle", None)
            .await
            .expect("token")
            .token;
        Self {
            app,
            session,
            token,
            via,
            sent: 0,
            lines: Vec::new(),
        }
    }

    async fn deliver(&mut self, path: &str) -> Delivered {
        let bytes = std::fs::read(fixture(&format!("cases/{path}"))).expect("fixture");
        let (status, raw) = match self.via {
            Via::ServerFunction => {
                let content = String::from_utf8(bytes).expect("utf-8");
                let response = self
                    .session
                    .call(
                        "lieferung/speichern",
                        &[("dateiname", path), ("inhalt", &content)],
                    )
                    .await;
                (response.status().as_u16(), response.json().await.unwrap())
            }
            Via::Multipart => {
                let name = path.rsplit('/').next().unwrap().to_owned();
                let form = reqwest::multipart::Form::new().part(
                    "datei",
                    reqwest::multipart::Part::bytes(bytes).file_name(name),
                );
                let response = reqwest::Client::new()
                    .post(format!("{}/api/v1/lieferungen/datei", self.app.base))
                    .bearer_auth(&self.token)
                    .multipart(form)
                    .send()
                    .await
                    .unwrap();
                (response.status().as_u16(), response.json().await.unwrap())
            }
            Via::Json => {
                self.sent += 1;
                let text = String::from_utf8(bytes).expect("utf-8");
                let (request, lines) = as_json_request(&text, &format!("fall-{}", self.sent));
                self.lines = lines;
                let response = reqwest::Client::new()
                    .post(format!("{}/api/v1/lieferungen", self.app.base))
                    .bearer_auth(&self.token)
                    .json(&request)
                    .send()
                    .await
                    .unwrap();
                (response.status().as_u16(), response.json().await.unwrap())
            }
        };
        match self.via {
            Via::ServerFunction => from_server_function(status, raw),
            Via::Multipart | Via::Json => from_answer(status, raw, &self.lines),
        }
    }

    async fn stored_values(&self) -> i64 {
        sqlx::query_scalar("SELECT count(*) FROM transaction_count")
            .fetch_one(self.app.pool())
            .await
            .expect("count")
    }

    async fn value(&self, service: &str, region: &str, month: &str) -> Option<i64> {
        value(&self.app, service, region, month).await
    }
}

/// The records of a simple semicolon case file as a JSON request, one entry
/// of `dienste` per service (as written, spaces included), and the file
/// line of each record's pointer. A count that is not a whole number is sent
/// as the string it was, so the API's own type check answers it.
fn as_json_request(text: &str, id: &str) -> (Value, Vec<(String, u64)>) {
    let mut services: Vec<(String, Vec<(u64, Value)>)> = Vec::new();
    for (index, line) in text
        .trim_start_matches('\u{feff}')
        .lines()
        .enumerate()
        .skip(1)
    {
        let cells: Vec<&str> = line.split(';').collect();
        let [service, region, month, count] = cells[..] else {
            panic!("not a simple case line: {line}")
        };
        let anzahl = count
            .parse::<i64>()
            .map_or_else(|_| json!(count), |n| json!(n));
        let entry = json!({ "region": region, "monat": month, "anzahl": anzahl });
        let line = index as u64 + 1;
        match services.iter_mut().find(|(s, _)| s == service) {
            Some((_, values)) => values.push((line, entry)),
            None => services.push((service.to_owned(), vec![(line, entry)])),
        }
    }
    let mut lines = Vec::new();
    let mut dienste = Vec::new();
    for (d, (service, values)) in services.into_iter().enumerate() {
        let mut werte = Vec::new();
        for (w, (line, entry)) in values.into_iter().enumerate() {
            lines.push((format!("/dienste/{d}/werte/{w}"), line));
            werte.push(entry);
        }
        dienste.push(json!({ "onlinedienst": service, "werte": werte }));
    }
    (json!({ "lieferung_id": id, "dienste": dienste }), lines)
}

fn from_server_function(status: u16, raw: Value) -> Delivered {
    let list = raw
        .get("Invalid")
        .or_else(|| raw.get("messages"))
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let (mut errors, mut warnings) = (Vec::new(), Vec::new());
    for m in &list {
        let finding = Finding {
            line: m["line"].as_u64().unwrap_or(0),
            column: m["column"].as_str().unwrap_or("-").to_owned(),
            value: m["value"].as_str().unwrap_or("-").to_owned(),
            text: m["text"].as_str().unwrap_or_default().to_owned(),
        };
        match m["severity"].as_str() {
            Some("Warning") => warnings.push(finding),
            _ => errors.push(finding),
        }
    }
    let c = &raw["counts"];
    let n = |k: &str| c[k].as_u64().unwrap_or(0);
    Delivered {
        status,
        counts: (n("new"), n("corrected"), n("unchanged"), n("rejected")),
        errors,
        warnings,
        raw,
    }
}

/// Findings of the API answer. A JSON Pointer `/dienste/d/werte/w[/field]`
/// becomes the case file's line and column, so one assertion serves every
/// channel.
fn from_answer(status: u16, raw: Value, lines: &[(String, u64)]) -> Delivered {
    let place = |pointer: &str| -> (u64, String) {
        let line = lines
            .iter()
            .find(|(record, _)| pointer == record || pointer.starts_with(&format!("{record}/")))
            .map_or(0, |(_, line)| *line);
        let column = match pointer.rsplit('/').next() {
            Some("region") => "Region",
            Some("monat") => "Monat",
            Some("anzahl") => "Anzahl",
            Some("onlinedienst") => "Onlinedienst",
            _ => "-",
        };
        (line, column.to_owned())
    };
    let findings = |key: &str| -> Vec<Finding> {
        raw[key]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .map(|f| {
                let (line, column) = match f["pointer"].as_str() {
                    Some(pointer) => place(pointer),
                    None => (
                        f["zeile"].as_u64().unwrap_or(0),
                        f["spalte"].as_str().unwrap_or("-").to_owned(),
                    ),
                };
                Finding {
                    line,
                    column,
                    value: f["wert"].as_str().unwrap_or("-").to_owned(),
                    text: f["meldung"].as_str().unwrap_or_default().to_owned(),
                }
            })
            .collect()
    };
    let n = |k: &str| raw[k].as_u64().unwrap_or(0);
    Delivered {
        status,
        counts: (
            n("neu"),
            n("korrigiert"),
            n("unveraendert"),
            n("fehlerhaft"),
        ),
        errors: findings("fehler"),
        warnings: findings("hinweise"),
        raw: raw.clone(),
    }
}

#[tokio::test]
async fn case_01_leading_zeros_are_restored_with_a_warning_in_files() {
    for via in FILE_CHANNELS {
        let mut case = Case::new(via).await;
        let answer = case
            .deliver("01-ags-leading-zeros-lost/input-valid.csv")
            .await;
        assert_eq!(answer.status, 200, "{via:?}: {:?}", answer.raw);
        assert_eq!(answer.counts, (6, 0, 0, 0), "{via:?}");
        let warned: Vec<u64> = answer
            .warnings
            .iter()
            .filter(|w| w.text.contains("Führende Null ergänzt"))
            .map(|w| w.line)
            .collect();
        assert_eq!(warned, [2, 3, 4, 5, 7], "{via:?}");
        for (region, month, expected) in [
            ("01001000", "2024-01", 1234),
            ("01001", "2024-01", 1500),
            ("01", "2024-01", 9000),
            // Hamburg's Gemeinde is Hamburg's one cell.
            ("02", "2024-01", 310),
            ("01001000", "2024-02", 1240),
            // The ARS is stored as its AGS.
            ("01001000", "2024-03", 77),
        ] {
            assert_eq!(
                case.value("DEMO-0001", region, month).await,
                Some(expected),
                "{via:?} {region} {month}"
            );
        }
        assert_eq!(case.value("DEMO-0001", "1001000", "2024-01").await, None);

        // The same values as .xlsx numeric cells: a re-delivery, all unchanged.
        if via == Via::Multipart {
            let again = case
                .deliver("01-ags-leading-zeros-lost/input-valid.xlsx")
                .await;
            assert_eq!(
                (again.status, again.counts),
                (200, (0, 0, 6, 0)),
                "{:?}",
                again.raw
            );
            assert_eq!(case.stored_values().await, 6);
        }
    }
}

#[tokio::test]
async fn case_01_json_keys_are_strings_and_unpadded_keys_are_refused() {
    let mut case = Case::new(Via::Json).await;
    let answer = case
        .deliver("01-ags-leading-zeros-lost/input-valid.csv")
        .await;
    assert_eq!(answer.status, 422, "{:?}", answer.raw);
    let refused: Vec<u64> = answer.errors.iter().map(|e| e.line).collect();
    assert_eq!(refused, [2, 3, 4, 5, 7], "{:?}", answer.errors());
    assert!(
        answer.errors[0].text.contains("„01001000“ senden"),
        "{:?}",
        answer.errors()
    );
    assert_eq!(case.stored_values().await, 0);
}

#[tokio::test]
async fn case_01_unrepairable_keys_reject_the_whole_file() {
    for via in ALL_CHANNELS {
        let mut case = Case::new(via).await;
        let answer = case
            .deliver("01-ags-leading-zeros-lost/input-invalid.csv")
            .await;
        assert_eq!(answer.status, 422, "{via:?}");
        let errors = answer.errors();
        assert_eq!(errors.len(), 3, "{via:?}: {errors:?}");
        assert!(
            errors[0].starts_with("Zeile 3 Region 101000") && errors[0].contains("6 Stellen"),
            "{via:?}: {errors:?}"
        );
        assert!(
            errors[1].starts_with("Zeile 4 Region 1001000.0")
                && errors[1].contains("Spalte als Text exportieren"),
            "{via:?}: {errors:?}"
        );
        assert!(
            errors[2].starts_with("Zeile 5 Region 0") && errors[2].contains("„DE“"),
            "{via:?}: {errors:?}"
        );
        assert_eq!(case.stored_values().await, 0, "{via:?}");
    }
}

#[tokio::test]
async fn case_03_german_thousands_are_read_and_everything_else_refused() {
    for via in ALL_CHANNELS {
        let mut case = Case::new(via).await;
        let answer = case
            .deliver("03-german-number-format-counts/input-bad.csv")
            .await;
        assert_eq!(answer.status, 422, "{via:?}");
        let places: Vec<(u64, &str)> = answer
            .errors
            .iter()
            .map(|e| (e.line, e.column.as_str()))
            .collect();
        assert_eq!(
            places,
            [
                (2, "Anzahl"),
                (3, "Anzahl"),
                (4, "Anzahl"),
                (5, "Anzahl"),
                (6, "Anzahl")
            ],
            "{via:?}: {:?}",
            answer.errors()
        );
        assert_eq!(case.stored_values().await, 0, "{via:?}");
        if via == Via::Json {
            // A JSON count is a number; German digit groups are a file matter.
            continue;
        }
        assert!(answer.errors[3].text.contains("negativ"), "{via:?}");

        let answer = case
            .deliver("03-german-number-format-counts/input-ok.csv")
            .await;
        assert_eq!(answer.status, 200, "{via:?}: {:?}", answer.raw);
        for (region, expected) in [
            ("01001000", 999),
            ("01002000", 1000),
            ("01003000", 12345),
            ("01004000", 1_234_567),
            ("01051", 2500),
            ("01053", 0),
        ] {
            assert_eq!(
                case.value("DEMO-0001", region, "2024-01").await,
                Some(expected),
                "{via:?} {region}"
            );
        }
    }
}

#[tokio::test]
async fn case_04_bom_sep_line_and_quoted_header() {
    for via in FILE_CHANNELS {
        let mut case = Case::new(via).await;
        let files = [
            "input-bom.csv",
            "input-bom-sep.csv",
            "input-bom-quoted-header.csv",
            "input-no-bom-control.csv",
        ];
        for (i, file) in files.iter().enumerate() {
            let answer = case
                .deliver(&format!("04-utf8-bom-and-sep-line/{file}"))
                .await;
            assert_eq!(answer.status, 200, "{via:?} {file}: {:?}", answer.raw);
            let expected = if i == 0 { (1, 0, 0, 0) } else { (0, 0, 1, 0) };
            assert_eq!(answer.counts, expected, "{via:?} {file}");
        }
        assert_eq!(
            case.value("DEMO-0003", "09162000", "2024-05").await,
            Some(4711)
        );
        assert_eq!(case.stored_values().await, 1);
    }
}

#[tokio::test]
async fn case_08_two_rows_naming_one_cell() {
    for via in ALL_CHANNELS {
        let mut case = Case::new(via).await;
        for file in [
            "input-conflicting.csv",
            "input-ags-ars-same-gemeinde.csv",
            "input-whitespace.csv",
        ] {
            let answer = case
                .deliver(&format!("08-duplicate-keys-in-one-upload/{file}"))
                .await;
            assert_eq!(answer.status, 422, "{via:?} {file}");
            assert!(
                answer
                    .errors()
                    .iter()
                    .any(|m| m.contains("Schlüssel (DEMO-0001, 14521430, 2024-03) doppelt")),
                "{via:?} {file}: {:?}",
                answer.errors()
            );
            assert_eq!(case.stored_values().await, 0, "{via:?} {file}");
        }
        let answer = case
            .deliver("08-duplicate-keys-in-one-upload/input-conflicting.csv")
            .await;
        let expected = match via {
            Via::Json => "doppelt: /dienste/0/werte/0 = 40, /dienste/0/werte/2 = 44",
            _ => "doppelt: Zeile 2 = 40, Zeile 4 = 44",
        };
        assert!(
            answer.errors[0].text.ends_with(expected),
            "{via:?}: {:?}",
            answer.errors()
        );

        let answer = case
            .deliver("08-duplicate-keys-in-one-upload/input-exact-duplicate.csv")
            .await;
        assert_eq!(answer.status, 200, "{via:?}: {:?}", answer.raw);
        let expected = match via {
            Via::Json => "/dienste/0/werte/2 identisch mit /dienste/0/werte/0, ignoriert",
            _ => "Zeile 4 identisch mit Zeile 2, ignoriert",
        };
        assert!(
            answer
                .warnings
                .iter()
                .any(|w| w.text == expected && w.line == 4),
            "{via:?}: {:?}",
            answer.warnings()
        );
        assert_eq!(
            case.value("DEMO-0001", "14521430", "2024-03").await,
            Some(40)
        );
        assert_eq!(
            case.value("DEMO-0001", "09162000", "2024-03").await,
            Some(700)
        );
    }
}

#[tokio::test]
async fn case_09_zero_is_a_value_and_blank_is_not() {
    for via in FILE_CHANNELS {
        let mut case = Case::new(via).await;
        let pool = case.app.pool().clone();
        let land_total = || async {
            sqlx::query_scalar::<_, i64>(
                "SELECT total FROM region_totals(ARRAY['DEMO-0002'], 'DE') WHERE key = '09' AND month = '2024-04-01'",
            )
            .fetch_optional(&pool)
            .await
            .expect("totals")
        };

        let answer = case
            .deliver("09-correction-to-zero/step1-initial.csv")
            .await;
        assert_eq!((answer.status, answer.counts), (200, (1, 0, 0, 0)));
        assert_eq!(land_total().await, Some(57));

        let answer = case
            .deliver("09-correction-to-zero/step2-correction-zero.csv")
            .await;
        assert_eq!((answer.status, answer.counts), (200, (0, 1, 0, 0)));
        assert_eq!(
            case.value("DEMO-0002", "09162000", "2024-04").await,
            Some(0)
        );
        assert_eq!(land_total().await, Some(0));

        let answer = case.deliver("09-correction-to-zero/step3-blank.csv").await;
        assert_eq!(answer.status, 422, "{via:?}");
        let errors = answer.errors();
        assert!(
            errors[0].starts_with("Zeile 2 Anzahl") && errors[0].contains("Wert fehlt"),
            "{via:?}: {errors:?}"
        );
        assert_eq!(
            case.value("DEMO-0002", "09162000", "2024-04").await,
            Some(0)
        );

        let answer = case
            .deliver("09-correction-to-zero/step4-same-value.csv")
            .await;
        assert_eq!((answer.status, answer.counts), (200, (0, 0, 1, 0)));

        let history: Vec<i64> = sqlx::query_scalar(
            "SELECT count FROM transaction_count_history WHERE service_id = 'DEMO-0002' ORDER BY delivery_id",
        )
        .fetch_all(case.app.pool())
        .await
        .expect("history");
        assert_eq!(history, [57, 0], "{via:?}");
    }
}

#[tokio::test]
async fn case_17_coarser_levels_allowed_finer_refused() {
    for via in ALL_CHANNELS {
        let mut case = Case::new(via).await;
        let answer = case
            .deliver("17-granularity-levels/input-too-fine.csv")
            .await;
        assert_eq!(answer.status, 422, "{via:?}");
        let errors = answer.errors();
        assert_eq!(errors.len(), 2, "{via:?}: {errors:?}");
        assert!(
            errors[0].starts_with("Zeile 3 Region 01001"),
            "{via:?}: {errors:?}"
        );
        assert!(errors[0].contains(
            "DEMO-0006 wird nach Bundesländern geliefert; ein Kreiswert ist feiner als seine Granularität"
        ));
        assert!(
            errors[1].starts_with("Zeile 5 Region 14625010"),
            "{via:?}: {errors:?}"
        );
        assert_eq!(case.stored_values().await, 0);

        let answer = case.deliver("17-granularity-levels/input-ok.csv").await;
        assert_eq!(
            (answer.status, answer.counts),
            (200, (4, 0, 0, 0)),
            "{via:?}"
        );
        let pool = case.app.pool();
        let total = |service: &'static str, key: &'static str| async move {
            sqlx::query_scalar::<_, i64>(
                "SELECT total FROM region_totals(ARRAY[$1], 'DE') WHERE key = $2 AND month = '2024-05-01'",
            )
            .bind(service)
            .bind(key)
            .fetch_one(pool)
            .await
            .expect("total")
        };
        assert_eq!(total("DEMO-0006", "DE").await, 4100);
        assert_eq!(total("DEMO-0007", "14").await, 260);
    }
}
