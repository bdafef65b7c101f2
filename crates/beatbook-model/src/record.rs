//! The record envelope shared by every kind: id, scope, author, times, deleted flag, and the
//! kind's own data ([`Body`]).

use crate::error::{Lang, ModelError};
use crate::ids::{RecordId, StationId, UserId, VillageId};
use crate::kinds::*;
use crate::validate::Checker;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::str::FromStr;

/// String fields that hold long free text. The store keeps them as collaborative text, so two
/// people appending to one note both keep their words and an append sends only the new words.
pub const LONG_TEXT_FIELDS: &[&str] = &[
    "notes",
    "findings",
    "problems",
    "follow_up",
    "situation",
    "hazards_found",
    "description",
    "outcome",
    "agreement",
    "rectification",
    "instructions",
];

/// Where a record belongs: exactly one village of one station. Fixed at creation.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Scope {
    /// The station.
    pub station: StationId,
    /// The village.
    pub village: VillageId,
}

/// One record as people see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// UUID v7.
    pub id: RecordId,
    /// The village (and its station) the record belongs to.
    pub scope: Scope,
    /// The user who created it.
    pub author: UserId,
    /// When it was created (UTC).
    pub created_at: DateTime<Utc>,
    /// When it was last changed (UTC): the latest edit on any device.
    pub updated_at: DateTime<Utc>,
    /// Deleted records stay on the device, hidden; nothing is hard-deleted.
    #[serde(default)]
    pub deleted: bool,
    /// The chief's review, once someone reviewed it. Absent from records never reviewed, so
    /// documents written before reviews existed read unchanged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review: Option<Review>,
    /// The kind and its data.
    #[serde(flatten)]
    pub body: Body,
}

/// Longest review comment, in characters.
pub const REVIEW_COMMENT_MAX: usize = 500;

/// A station chief's (所长) or county admin's review of a record: who, when, and what they said.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Review {
    /// The reviewer.
    pub by: UserId,
    /// When the review was made (UTC).
    pub at: DateTime<Utc>,
    /// The reviewer's comment (may be empty: "seen").
    #[serde(default)]
    pub comment: String,
}

impl Review {
    /// A review of `record` by a user with `assignment`, or why it is refused: only a chief of
    /// the record's station or a county admin reviews, and the comment has a length limit.
    pub fn new(
        record: &Record,
        by: &UserId,
        assignment: &crate::Assignment,
        comment: &str,
        at: DateTime<Utc>,
    ) -> Result<Review, ModelError> {
        if !assignment.can_review(&record.scope) {
            return Err(ModelError::ReviewNotAllowed);
        }
        let comment = comment.trim();
        if comment.chars().count() > REVIEW_COMMENT_MAX {
            return Err(ModelError::Invalid(vec![crate::FieldError::new(
                "review.comment",
                crate::Problem::TooLong {
                    max: REVIEW_COMMENT_MAX,
                },
            )]));
        }
        Ok(Review {
            by: by.clone(),
            at,
            comment: comment.to_owned(),
        })
    }
}

macro_rules! kinds {
    ($( $variant:ident($ty:ty) = $name:literal, $zh:literal, $en:literal; )*) => {
        /// The kinds of record.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum Kind {
            $( #[doc = $en] $variant, )*
        }

        impl Kind {
            /// Every kind, in display order.
            pub const ALL: [Kind; 10] = [$(Kind::$variant),*];

            /// The stable name used in storage and on the wire, e.g. `key_person_check`.
            pub fn as_str(self) -> &'static str {
                match self { $(Kind::$variant => $name,)* }
            }

            /// The label people read.
            pub fn label(self, lang: Lang) -> &'static str {
                match (self, lang) {
                    $((Kind::$variant, Lang::Zh) => $zh, (Kind::$variant, Lang::En) => $en,)*
                }
            }
        }

        /// A record's kind and data.
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        #[serde(tag = "kind", content = "data", rename_all = "snake_case")]
        pub enum Body {
            $( #[doc = $en] $variant($ty), )*
        }

        impl Body {
            /// The kind of this body.
            pub fn kind(&self) -> Kind {
                match self { $(Body::$variant(_) => Kind::$variant,)* }
            }

            fn data(&self) -> &dyn Dispatch {
                match self { $(Body::$variant(d) => d,)* }
            }

            /// Checks that `self` may replace `old`: same kind, allowed status moves.
            pub fn check_update(&self, old: &Body) -> Result<(), ModelError> {
                match (self, old) {
                    $((Body::$variant(new), Body::$variant(old)) => new.check_update(old),)*
                    _ => Err(ModelError::Immutable { field: "kind" }),
                }
            }
        }
    };
}

kinds! {
    Household(Household) = "household", "户籍家庭", "Household";
    Visit(Visit) = "visit", "入户走访", "Household visit";
    KeyPerson(KeyPerson) = "key_person", "重点人员", "Key person";
    KeyPersonCheck(KeyPersonCheck) = "key_person_check", "重点人员核查", "Key-person check";
    Inspection(Inspection) = "inspection", "单位检查", "Unit inspection";
    Dispute(Dispute) = "dispute", "矛盾纠纷", "Dispute";
    Patrol(Patrol) = "patrol", "巡逻", "Patrol";
    Publicity(Publicity) = "publicity", "法律宣传", "Legal publicity";
    Hazard(Hazard) = "hazard", "隐患", "Hazard";
    Task(Task) = "task", "任务", "Task";
}

/// Object-safe view of [`RecordData`] so [`Body`] can dispatch without a match per method.
trait Dispatch {
    fn validate(&self, c: &mut Checker);
    fn title(&self) -> String;
    fn search_text(&self, out: &mut Vec<String>);
    fn occurred_at(&self) -> Option<DateTime<Utc>>;
    fn status(&self) -> Option<&'static str>;
    fn assignee(&self) -> Option<&UserId>;
    fn due_at(&self) -> Option<DateTime<Utc>>;
    fn links(&self) -> Vec<Link>;
}

impl<T: RecordData> Dispatch for T {
    fn validate(&self, c: &mut Checker) {
        RecordData::validate(self, c)
    }
    fn title(&self) -> String {
        RecordData::title(self)
    }
    fn search_text(&self, out: &mut Vec<String>) {
        RecordData::search_text(self, out)
    }
    fn occurred_at(&self) -> Option<DateTime<Utc>> {
        RecordData::occurred_at(self)
    }
    fn status(&self) -> Option<&'static str> {
        RecordData::status(self)
    }
    fn assignee(&self) -> Option<&UserId> {
        RecordData::assignee(self)
    }
    fn due_at(&self) -> Option<DateTime<Utc>> {
        RecordData::due_at(self)
    }
    fn links(&self) -> Vec<Link> {
        RecordData::links(self)
    }
}

impl Body {
    /// Validates every field against `now`; all problems are reported together.
    pub fn validate(&self, now: DateTime<Utc>) -> Result<(), ModelError> {
        let mut c = Checker::new(now);
        self.data().validate(&mut c);
        c.finish()
    }

    /// A one-line title for lists.
    pub fn title(&self) -> String {
        self.data().title()
    }

    /// The text search finds this record by, one line per field.
    pub fn search_text(&self) -> String {
        let mut parts = Vec::new();
        self.data().search_text(&mut parts);
        parts.retain(|p| !p.trim().is_empty());
        parts.join("\n")
    }

    /// When the work happened, if the kind records it.
    pub fn occurred_at(&self) -> Option<DateTime<Utc>> {
        self.data().occurred_at()
    }

    /// The status, for kinds with a status.
    pub fn status(&self) -> Option<&'static str> {
        self.data().status()
    }

    /// Who the record is assigned to.
    pub fn assignee(&self) -> Option<&UserId> {
        self.data().assignee()
    }

    /// When it is due.
    pub fn due_at(&self) -> Option<DateTime<Utc>> {
        self.data().due_at()
    }

    /// The records this one refers to.
    pub fn links(&self) -> Vec<Link> {
        self.data().links()
    }

    /// Builds a body of `kind` from its JSON data.
    pub fn from_json(kind: Kind, data: serde_json::Value) -> Result<Body, ModelError> {
        let tagged = serde_json::json!({ "kind": kind.as_str(), "data": data });
        serde_json::from_value(tagged).map_err(|e| ModelError::Malformed(e.to_string()))
    }

    /// The kind's data as JSON.
    pub fn data_json(&self) -> serde_json::Value {
        match serde_json::to_value(self) {
            Ok(serde_json::Value::Object(mut m)) => m.remove("data").unwrap_or_default(),
            _ => serde_json::Value::Null,
        }
    }
}

impl FromStr for Kind {
    type Err = ModelError;
    /// Accepts `key_person`, `key-person` and the Chinese label.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let norm = s.trim().replace('-', "_").to_ascii_lowercase();
        Kind::ALL
            .into_iter()
            .find(|k| k.as_str() == norm || k.label(Lang::Zh) == s.trim())
            .ok_or_else(|| ModelError::UnknownKind(s.to_owned()))
    }
}

impl Record {
    /// A new record of `body` in `scope`, written by `author` at `at`: a fresh id, never
    /// reviewed or deleted. What a device stores when someone files a record, and what the
    /// access rules judge before it does.
    pub fn new(scope: Scope, author: UserId, at: DateTime<Utc>, body: Body) -> Record {
        Record {
            id: RecordId::new(),
            scope,
            author,
            created_at: at,
            updated_at: at,
            deleted: false,
            review: None,
            body,
        }
    }

    /// The kind.
    pub fn kind(&self) -> Kind {
        self.body.kind()
    }

    /// Validates the whole record against `now`: the envelope (id, scope, author, the times
    /// the system keeps, the review) and the kind's fields; all problems are reported together.
    /// The server runs this on every record a pushed change produces, the device before it
    /// stores one, so a record one device can save is one every device can read.
    pub fn validate(&self, now: DateTime<Utc>) -> Result<(), ModelError> {
        let mut c = Checker::new(now);
        if self.id.0.is_nil() {
            c.fail("id", crate::Problem::Required);
        }
        c.text("scope.station", self.scope.station.as_str(), true, 64);
        c.text("scope.village", self.scope.village.as_str(), true, 64);
        c.text("author", self.author.as_str(), true, 64);
        c.instant("created_at", self.created_at);
        c.instant("updated_at", self.updated_at);
        if let Some(review) = &self.review {
            c.text("review.by", review.by.as_str(), true, 64);
            c.instant("review.at", review.at);
            c.text("review.comment", &review.comment, false, REVIEW_COMMENT_MAX);
        }
        self.body.data().validate(&mut c);
        c.finish()
    }

    /// Checks that `self` may replace `old`: the id, scope, author and creation time are fixed,
    /// status moves follow the machines, and the new content is valid.
    pub fn check_update(&self, old: &Record, now: DateTime<Utc>) -> Result<(), ModelError> {
        if self.id != old.id {
            return Err(ModelError::Immutable { field: "id" });
        }
        if self.scope != old.scope {
            return Err(ModelError::Immutable { field: "scope" });
        }
        if self.author != old.author {
            return Err(ModelError::Immutable { field: "author" });
        }
        if self.created_at != old.created_at {
            return Err(ModelError::Immutable {
                field: "created_at",
            });
        }
        self.body.check_update(&old.body)?;
        // Times are judged against the later of this device's clock and the record's last
        // edit: a handset whose clock lags must still be able to edit a record that a
        // correctly set device filed "in its future". The upper bounds move with it; the
        // lower bounds are fixed, so this only ever accepts what the record already held.
        self.validate(now.max(old.updated_at))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::HazardStatus;
    use chrono::TimeZone;

    fn record() -> Record {
        let t = Utc.with_ymd_and_hms(2026, 11, 1, 1, 0, 0).unwrap();
        Record {
            id: RecordId::new(),
            scope: Scope {
                station: "gucheng".into(),
                village: "nanjie".into(),
            },
            author: "li.officer".into(),
            created_at: t,
            updated_at: t,
            deleted: false,
            review: None,
            body: Body::Publicity(Publicity {
                topic: "防范电信诈骗".into(),
                place: "村委会".into(),
                held_at: t,
                audience: 40,
                notes: String::new(),
            }),
        }
    }

    #[test]
    fn kinds_parse_from_every_spelling() {
        assert_eq!(
            "key-person-check".parse::<Kind>().unwrap(),
            Kind::KeyPersonCheck
        );
        assert_eq!("KEY_PERSON".parse::<Kind>().unwrap(), Kind::KeyPerson);
        assert_eq!("矛盾纠纷".parse::<Kind>().unwrap(), Kind::Dispute);
        let err = "car".parse::<Kind>().unwrap_err();
        assert!(err.message(Lang::En).contains("household, visit"));
    }

    #[test]
    fn json_shape_is_flat_with_kind_and_data() {
        let r = record();
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["kind"], "publicity");
        assert_eq!(json["data"]["audience"], 40);
        assert_eq!(json["scope"]["village"], "nanjie");
        let back: Record = serde_json::from_value(json).unwrap();
        assert_eq!(back, r);
        assert_eq!(
            Body::from_json(Kind::Publicity, r.body.data_json()).unwrap(),
            r.body
        );
    }

    #[test]
    fn only_a_chief_of_the_station_or_an_admin_reviews() {
        use crate::{Assignment, Role};
        let r = record();
        let at = r.created_at;
        let who = |role, station: Option<&str>| Assignment {
            role,
            station: station.map(Into::into),
            villages: vec!["nanjie".into()],
        };
        let by = UserId::from("wang.chief");
        let chief = who(Role::StationChief, Some("gucheng"));
        let review = Review::new(&r, &by, &chief, "  已阅，注意回访  ", at).unwrap();
        assert_eq!(review.comment, "已阅，注意回访");
        let admin = who(Role::CountyAdmin, None);
        assert!(Review::new(&r, &by, &admin, "", at).is_ok());
        for refused in [
            who(Role::StationChief, Some("liuta")),
            who(Role::CommunityOfficer, Some("gucheng")),
            who(Role::Auxiliary, Some("gucheng")),
        ] {
            let err = Review::new(&r, &by, &refused, "ok", at).unwrap_err();
            assert_eq!(err, ModelError::ReviewNotAllowed);
            assert!(err.message(Lang::Zh).contains("所长"));
        }
        let long = "字".repeat(REVIEW_COMMENT_MAX + 1);
        let err = Review::new(&r, &by, &chief, &long, at).unwrap_err();
        assert_eq!(err.code(), "invalid");
        assert!(err.message(Lang::Zh).contains("审阅意见"), "{}", err);
    }

    #[test]
    fn records_without_a_review_keep_their_json_and_reviews_round_trip() {
        let mut r = record();
        let json = serde_json::to_value(&r).unwrap();
        assert!(
            json.get("review").is_none(),
            "unreviewed records do not grow a key"
        );
        r.review = Some(Review {
            by: "wang.chief".into(),
            at: r.created_at,
            comment: "已阅".into(),
        });
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["review"]["by"], "wang.chief");
        assert_eq!(serde_json::from_value::<Record>(json).unwrap(), r);
    }

    #[test]
    fn a_lagging_clock_can_edit_a_record_filed_in_its_future() {
        let old = record();
        // This handset's clock is three days behind the device that filed the record.
        let lagging = old.created_at - chrono::Duration::days(3);
        let mut edited = old.clone();
        if let Body::Publicity(p) = &mut edited.body {
            p.notes = "补充：发放传单 200 份".into();
        }
        edited.check_update(&old, lagging).unwrap();
        // A time typed on it is still judged: later than anything the record held is refused.
        if let Body::Publicity(p) = &mut edited.body {
            p.held_at = old.created_at + chrono::Duration::days(2);
        }
        assert_eq!(
            edited.check_update(&old, lagging).unwrap_err().code(),
            "invalid"
        );
    }

    #[test]
    fn scope_and_kind_are_fixed() {
        let old = record();
        let now = old.created_at;
        let mut moved = old.clone();
        moved.scope.village = "beijie".into();
        assert_eq!(
            moved.check_update(&old, now).unwrap_err(),
            ModelError::Immutable { field: "scope" }
        );
        let mut other_kind = old.clone();
        other_kind.body = Body::Hazard(Hazard {
            description: "x".into(),
            place: "y".into(),
            location: None,
            found_at: now,
            found_by: "a".into(),
            source: None,
            status: HazardStatus::Open,
            deadline: None,
            rectification: String::new(),
            cleared_at: None,
            clearance_note: String::new(),
            cleared_by: None,
        });
        assert_eq!(
            other_kind.check_update(&old, now).unwrap_err(),
            ModelError::Immutable { field: "kind" }
        );
    }
}
