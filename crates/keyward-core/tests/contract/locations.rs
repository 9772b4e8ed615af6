//! Locations, and the keys scoped to one.

use keyward_core::{KeyFilter, NewKey, ScopeView, SecretKind};
use keyward_testkit::{code, sorted, Backend, Env};

pub fn locations_add_rename_list_and_refuse_duplicate_names(backend: &'static dyn Backend) {
    let env = Env::on(backend);
    let down = env.store.add_location("Downtown").unwrap();
    assert!(down.id.starts_with("loc_"));
    assert_eq!(code(env.store.add_location("  downtown ")), "INVALID_INPUT");
    let up = env.store.add_location("Uptown").unwrap();
    let mid = env.store.rename_location(&up.id, "Midtown").unwrap();
    assert_eq!(mid.id, up.id);
    assert_eq!(mid.name, "Midtown");
    assert_eq!(
        code(env.store.rename_location(&up.id, "DOWNTOWN")),
        "INVALID_INPUT"
    );
    assert_eq!(
        code(env.store.rename_location("loc_NOPE", "Nowhere")),
        "NOT_FOUND"
    );
    assert_eq!(code(env.store.add_location("")), "INVALID_INPUT");
    let names: Vec<String> = env
        .store
        .list_locations()
        .unwrap()
        .into_iter()
        .map(|l| l.name)
        .collect();
    assert_eq!(names, ["Downtown", "Midtown"]);
    assert_eq!(env.count("location.created"), 2);
    assert_eq!(env.count("location.updated"), 1);
}

pub fn location_keys_get_kwl_prefix_and_agency_keys_kwa(backend: &'static dyn Backend) {
    let env = Env::on(backend);
    let ada = env.admin("Ada", "ada@example.com");
    let loc = env.store.add_location("Downtown").unwrap();
    let lk = env
        .store
        .create_key(NewKey {
            owner: ada.id.clone(),
            name: "Downtown kiosk".into(),
            location: Some(loc.id.clone()),
            ..Default::default()
        })
        .unwrap();
    let ak = env.key(&ada.id, "Agency sync");
    assert!(lk.key.expose().starts_with("kwl_"));
    assert_eq!(lk.key.kind(), Some(SecretKind::LocationKey));
    assert!(ak.key.expose().starts_with("kwa_"));
    assert_eq!(ak.key.kind(), Some(SecretKind::AgencyKey));
    assert_eq!(ak.view.scope, ScopeView::Agency);
    assert_eq!(
        lk.view.scope,
        ScopeView::Location {
            location_id: loc.id.clone(),
            name: Some("Downtown".into())
        }
    );
    let v = env.store.verify(lk.key.expose()).unwrap();
    let id = v.identity.unwrap();
    assert!(
        matches!(id.scope, ScopeView::Location { ref location_id, .. } if *location_id == loc.id)
    );

    // Renaming the location shows in the key's view.
    env.store.rename_location(&loc.id, "Old Town").unwrap();
    let view = env.store.key_view(&lk.view.id).unwrap();
    assert!(matches!(view.scope, ScopeView::Location { name: Some(ref n), .. } if n == "Old Town"));

    let scoped = KeyFilter {
        scope: Some(loc.id.clone()),
        ..Default::default()
    };
    assert_eq!(env.keys(scoped), sorted(&[&lk.view.id]));
    let agency = KeyFilter {
        scope: Some("agency".into()),
        ..Default::default()
    };
    assert_eq!(env.keys(agency), sorted(&[&ak.view.id]));

    let unknown = env.store.create_key(NewKey {
        owner: ada.id.clone(),
        name: "Nowhere".into(),
        location: Some("loc_NOPE".into()),
        ..Default::default()
    });
    assert_eq!(code(unknown), "NOT_FOUND");
}
