//! The scope matrix through a real server: every role × record scope × read/write, asserting
//! exactly what each device receives and which of its writes the server accepts.

use beatbook_model::{Body, Kind, Role, Scope};
use beatbook_tests::*;

struct Who {
    name: &'static str,
    role: Role,
    station: Option<&'static str>,
    villages: &'static [&'static str],
}

const PEOPLE: [Who; 5] = [
    Who {
        name: "officer",
        role: Role::CommunityOfficer,
        station: Some("gucheng"),
        villages: &["nanjie"],
    },
    Who {
        name: "aux",
        role: Role::Auxiliary,
        station: Some("gucheng"),
        villages: &["nanjie"],
    },
    Who {
        name: "grid",
        role: Role::GridWorker,
        station: Some("gucheng"),
        villages: &["nanjie"],
    },
    Who {
        name: "chief",
        role: Role::StationChief,
        station: Some("gucheng"),
        villages: &[],
    },
    Who {
        name: "admin",
        role: Role::CountyAdmin,
        station: None,
        villages: &[],
    },
];

fn places() -> [Scope; 3] {
    [
        scope("gucheng", "nanjie"),
        scope("gucheng", "beijie"),
        scope("liuta", "dongguan"),
    ]
}

/// What the rules say: (role, kind, village) → may read/write.
fn allowed(who: &Who, kind: Kind, place: &Scope) -> bool {
    let in_station = who.station == Some(place.station.as_str());
    let covers = match who.role {
        Role::CountyAdmin => true,
        Role::StationChief => in_station,
        _ => in_station && who.villages.contains(&place.village.as_str()),
    };
    covers
        && !(who.role == Role::GridWorker && matches!(kind, Kind::KeyPerson | Kind::KeyPersonCheck))
}

fn body(kind: Kind, tag: &str) -> Body {
    match kind {
        Kind::Household => household(tag),
        _ => key_person(tag, "officer"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_role_reads_and_writes_exactly_its_scope() {
    let server = TestServer::start().await;
    for w in &PEOPLE {
        server.add_user(w.name, w.role, w.station, w.villages);
    }
    let mut clients = Vec::new();
    for w in &PEOPLE {
        clients.push(Client::enrol(&server.url, w.name).await);
    }

    // Writes: everyone tries a household and a key person in every village.
    let mut expected_accepted = Vec::new();
    for (w, c) in PEOPLE.iter().zip(&clients) {
        let mut refused = 0;
        for place in places() {
            for kind in [Kind::Household, Kind::KeyPerson] {
                let tag = format!("{}-{}-{}", w.name, place.village, kind.as_str());
                let r = c.create(place.clone(), body(kind, &tag)).unwrap();
                if allowed(w, kind, &place) {
                    expected_accepted.push((r.id, kind, place.clone()));
                } else {
                    refused += 1;
                }
            }
        }
        let summary = c.sync().await.unwrap();
        assert_eq!(summary.set_aside, refused, "{}: set-aside count", w.name);
        assert_eq!(
            c.with(|s| s.pending_count().unwrap()),
            0,
            "{}: outbox not empty",
            w.name
        );
        for (_, code, _) in c.with(|s| s.set_aside_changes().unwrap()) {
            assert_eq!(code, "out_of_scope", "{}", w.name);
        }
    }

    // Reads: after syncing, each device holds exactly the accepted records it may read (plus
    // the refused ones it wrote itself, which never left it).
    for (w, c) in PEOPLE.iter().zip(&clients) {
        c.sync().await.unwrap();
        let own_refused: Vec<String> = c
            .with(|s| s.set_aside_changes().unwrap())
            .into_iter()
            .map(|(id, _, _)| id.to_string())
            .collect();
        let mut want: Vec<String> = expected_accepted
            .iter()
            .filter(|(_, kind, place)| allowed(w, *kind, place))
            .map(|(id, _, _)| id.to_string())
            .chain(own_refused)
            .collect();
        want.sort();
        assert_eq!(
            c.record_ids(),
            want,
            "{} received the wrong records",
            w.name
        );
        if w.role == Role::GridWorker {
            let foreign_key_persons = c
                .kinds()
                .into_iter()
                .filter(|k| *k == Kind::KeyPerson)
                .count();
            assert_eq!(
                foreign_key_persons, 3,
                "a grid worker holds no key persons but the three it wrote itself (refused)"
            );
        }
    }
    server.stop().await;
}
