//! The TypeScript types of the app's IPC (`app-ui/src/lib/bindings.ts`) are generated from the
//! Rust types here; this test fails when they are out of date. Update them with
//! `UPDATE_EXPECT=1 cargo test -p beatbook-client --test bindings`.

use beatbook_client::station::{
    ActionChoice, AssessRow, AssessView, BoardItem, BoardView, BoardVillage, BulkInput, BulkResult,
    DutyRuleInput, DutyRuleView, DutyRulesView, DutyRunView, FiguresView, StaffView,
};
use beatbook_client::types::*;
use beatbook_model::Kind;
use ts_rs::{Config, TS};

fn decl<T: TS>(cfg: &Config) -> String {
    format!("export {}\n", T::decl(cfg))
}

#[test]
fn typescript_bindings_are_current() {
    let cfg = Config::new();
    let kinds: Vec<String> = Kind::ALL
        .iter()
        .map(|k| format!("\"{}\"", k.as_str()))
        .collect();
    let mut out = String::from(
        "// Generated from crates/beatbook-client/src/types.rs by its `bindings` test; do not edit.\n\
         // Update: UPDATE_EXPECT=1 cargo test -p beatbook-client --test bindings\n\n",
    );
    out += "export type JsonValue = number | string | boolean | Array<JsonValue> | { [key in string]?: JsonValue } | null;\n";
    out += &format!(
        "/** Record kinds, in display order. */\nexport type Kind = {};\n",
        kinds.join(" | ")
    );
    out += &format!("export const KINDS: Kind[] = [{}];\n", kinds.join(", "));
    for d in [
        decl::<AppError>(&cfg),
        decl::<FieldProblem>(&cfg),
        decl::<LaunchState>(&cfg),
        decl::<Place>(&cfg),
        decl::<Me>(&cfg),
        decl::<Item>(&cfg),
        decl::<ConflictView>(&cfg),
        decl::<RecordView>(&cfg),
        decl::<ReviewNote>(&cfg),
        decl::<Dossier>(&cfg),
        decl::<ChoiceSpec>(&cfg),
        decl::<FieldSpec>(&cfg),
        decl::<FormSpec>(&cfg),
        decl::<Catalog>(&cfg),
        decl::<KindStatuses>(&cfg),
        decl::<Home>(&cfg),
        decl::<SyncState>(&cfg),
        decl::<UnreadableView>(&cfg),
        decl::<SyncReport>(&cfg),
        decl::<SyncProgress>(&cfg),
        decl::<Filter>(&cfg),
        decl::<Review>(&cfg),
        decl::<ReviewItem>(&cfg),
        decl::<OfficerCount>(&cfg),
        decl::<BoardItem>(&cfg),
        decl::<BoardVillage>(&cfg),
        decl::<BoardView>(&cfg),
        decl::<FiguresView>(&cfg),
        decl::<AssessRow>(&cfg),
        decl::<AssessView>(&cfg),
        decl::<StaffView>(&cfg),
        decl::<ActionChoice>(&cfg),
        decl::<BulkInput>(&cfg),
        decl::<BulkResult>(&cfg),
        decl::<DutyRuleView>(&cfg),
        decl::<DutyRulesView>(&cfg),
        decl::<DutyRuleInput>(&cfg),
        decl::<DutyRunView>(&cfg),
    ] {
        out += &d;
    }
    expect_test::expect_file!["../../../app-ui/src/lib/bindings.ts"].assert_eq(&out);
}
