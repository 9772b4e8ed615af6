//! The commands that manage a store, written once against [`Manage`]: the same code runs on
//! a store on this computer (as its owner), through a Keyward process that holds it, and
//! against a team server (`--server`). Only what needs the store itself (delivering
//! webhooks from this process, writing a Postman export) asks [`Target`] for it.

use std::sync::Arc;

use keyward_client::Remote;
use keyward_core::{
    Acting, AuditFilter, Disclosure, Error, KeyEdit, KeyFilter, Manage, NewKey, NewUser,
    NewWebhook, Store, UserEdit,
};

use crate::cli::{
    Command, KeysCmd, LocationsCmd, ManageTokensCmd, OnOff, SettingsCmd, TokensCmd, UsersCmd,
    WebhooksCmd,
};
use crate::output::{KeptKey, KeyAndTokens, Labelled, Out, PurgedKey, Revealed, TestedWebhook};

/// Where the commands go.
pub enum Target {
    /// A store this process opened.
    Local(Arc<Store>),
    /// A Keyward server, or the process holding this computer's data directory.
    Remote(Remote),
}

impl Target {
    fn store(&self) -> Option<&Arc<Store>> {
        match self {
            Target::Local(s) => Some(s),
            Target::Remote(_) => None,
        }
    }
}

/// Runs one management command; its exit code (0 unless the command has its own).
pub fn run(target: &Target, command: Command, out: &Out) -> Result<u8, Error> {
    let acting;
    let m: &dyn Manage = match target {
        Target::Local(store) => {
            acting = Acting::owner(store);
            &acting
        }
        Target::Remote(remote) => remote,
    };
    let mut code = 0;
    match command {
        Command::Webhooks(cmd) => webhooks(m, target, cmd, out)?,
        Command::Users(cmd) => users(m, cmd, out)?,
        Command::Locations(cmd) => locations(m, cmd, out)?,
        Command::Keys(cmd) => code = keys(m, target, cmd, out)?,
        Command::Tokens(cmd) => tokens(m, cmd, out)?,
        Command::ManageTokens(cmd) => manage_tokens(m, cmd, out)?,
        Command::Verify { secret, permission } => {
            let secret = crate::presented_secret(secret)?;
            let verdict = m.verify(secret.expose(), permission.as_deref())?;
            out.show(&verdict);
            if !verdict.valid {
                code = 3;
            }
        }
        Command::Lifecycle { dry_run } => out.show(&m.run_lifecycle(dry_run)?),
        Command::Audit {
            limit,
            object,
            search,
        } => out.show(&m.audit(&AuditFilter {
            limit: Some(limit),
            object_id: object,
            search,
            ..Default::default()
        })?),
        Command::Settings(SettingsCmd::Show) => out.show(&m.settings()?),
        Command::Settings(SettingsCmd::Set { name, value }) => {
            let mut s = m.settings()?;
            s.set(&name, &value)?;
            out.show(&m.update_settings(s)?);
        }
        Command::Settings(SettingsCmd::TestEmail { to }) => {
            let sent = m.send_test_email(&to)?;
            if !sent.sent {
                code = 1;
            }
            out.show(&sent);
        }
        Command::Serve { .. }
        | Command::Migrate
        | Command::Export { .. }
        | Command::Import { .. } => {
            return Err(Error::invalid(
                "this command works on a store on this computer, not through a server",
            ))
        }
    }
    if let Some(store) = target.store() {
        crate::deliver_webhooks(store);
    }
    Ok(code)
}

fn webhooks(m: &dyn Manage, target: &Target, cmd: WebhooksCmd, out: &Out) -> Result<(), Error> {
    match cmd {
        WebhooksCmd::Add {
            user,
            url,
            entity,
            operation,
            allow_private,
        } => out.show(&m.add_webhook(NewWebhook {
            user,
            url,
            entity,
            operation,
            allow_private,
        })?),
        WebhooksCmd::List { user } => out.show(&m.list_webhooks(user.as_deref())?),
        WebhooksCmd::On { webhook } => out.show(&Labelled(
            "Turned on",
            &m.set_webhook_active(&webhook, true)?,
        )),
        WebhooksCmd::Off { webhook } => out.show(&Labelled(
            "Turned off",
            &m.set_webhook_active(&webhook, false)?,
        )),
        WebhooksCmd::Remove { webhook } => {
            out.show(&Labelled("Removed", &m.remove_webhook(&webhook)?))
        }
        WebhooksCmd::Deliveries { webhook, limit } => {
            out.show(&m.webhook_deliveries(&webhook, limit)?)
        }
        WebhooksCmd::Test { webhook } => {
            let before = m
                .webhook_deliveries(&webhook, 1)?
                .first()
                .map(|d| d.id.clone());
            let view = m.test_webhook(&webhook)?;
            let last = match target.store() {
                Some(store) => {
                    crate::deliver_webhooks(store);
                    m.webhook_deliveries(&view.id, 1)?
                }
                None => delivered_since(m, &view.id, before.as_deref())?,
            };
            out.show(&TestedWebhook {
                delivery: last.first(),
                webhook: &view,
            })
        }
        WebhooksCmd::Reveal { webhook } => {
            let secret = m.reveal_webhook_secret(&webhook)?;
            let view = m.webhook_view(&webhook)?;
            out.show(&Revealed {
                view: &view,
                secret: secret.expose(),
            })
        }
    }
    Ok(())
}

/// The newest delivery once the server has made one after `before`, waiting as long as a
/// one-shot command delivers for itself.
fn delivered_since(
    m: &dyn Manage,
    webhook: &str,
    before: Option<&str>,
) -> Result<Vec<keyward_core::DeliveryView>, Error> {
    let deadline = std::time::Instant::now() + crate::ONE_SHOT_DELIVERY;
    loop {
        let last = m.webhook_deliveries(webhook, 1)?;
        let new = last.first().is_some_and(|d| Some(d.id.as_str()) != before);
        if new || std::time::Instant::now() >= deadline {
            return Ok(if new { last } else { Vec::new() });
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

fn users(m: &dyn Manage, cmd: UsersCmd, out: &Out) -> Result<(), Error> {
    match cmd {
        UsersCmd::Add { name, email, admin } => out.show(&Labelled(
            "Added",
            &m.add_user(NewUser { name, email, admin })?,
        )),
        UsersCmd::List => out.show(&m.list_users()?),
        UsersCmd::Show { user } => out.show(&m.user_view(&user)?),
        UsersCmd::Edit { user, name, email } => {
            if name.is_none() && email.is_none() {
                return Err(Error::invalid(
                    "nothing to change — pass --name and/or --email",
                ));
            }
            out.show(&Labelled(
                "Updated",
                &m.edit_user(&user, UserEdit { name, email })?,
            ))
        }
        UsersCmd::Deactivate { user, yes } => {
            confirmed(m, &user, yes, "deactivating")?;
            out.show(&Labelled("Deactivated", &m.set_user_active(&user, false)?))
        }
        UsersCmd::Activate { user } => {
            out.show(&Labelled("Activated", &m.set_user_active(&user, true)?))
        }
        UsersCmd::ApiAccess { user, state, yes } => {
            let on = matches!(state, OnOff::On);
            if !on {
                confirmed(m, &user, yes, "turning API access off for")?;
            }
            let label = if on {
                "API access on for"
            } else {
                "API access off for"
            };
            out.show(&Labelled(label, &m.set_api_access(&user, on)?))
        }
        UsersCmd::ClearKeys { user, yes } => {
            confirmed(m, &user, yes, "clearing the keys of")?;
            out.show(&m.clear_user_keys(&user)?)
        }
    }
    Ok(())
}

/// Refuses, naming them, when `doing` to `user` would stop keys in use and `yes` was not
/// given (as a regeneration names what breaks before it happens).
fn confirmed(m: &dyn Manage, user: &str, yes: bool, doing: &str) -> Result<(), Error> {
    if yes {
        return Ok(());
    }
    let impact = m.user_impact(user)?;
    if impact.in_use == 0 {
        return Ok(());
    }
    let plural = |n: usize| if n == 1 { "" } else { "s" };
    let named: Vec<String> = impact
        .keys
        .iter()
        .filter(|k| k.in_use)
        .take(5)
        .map(|k| match k.live_tokens {
            0 => format!("'{}'", k.name),
            n => format!("'{}' ({n} live token{})", k.name, plural(n)),
        })
        .collect();
    let more = impact.in_use - named.len();
    let more = if more > 0 {
        format!(" and {more} more")
    } else {
        String::new()
    };
    Err(Error::ConfirmationRequired(format!(
        "{doing} {} stops {} key{} in use — {}{more} — and {} live token{}; run it again with --yes to go ahead",
        impact.user.email,
        impact.in_use,
        plural(impact.in_use),
        named.join(", "),
        impact.tokens,
        plural(impact.tokens),
    )))
}

fn locations(m: &dyn Manage, cmd: LocationsCmd, out: &Out) -> Result<(), Error> {
    match cmd {
        LocationsCmd::Add { name } => out.show(&Labelled("Added", &m.add_location(&name)?)),
        LocationsCmd::List => out.show(&m.list_locations()?),
        LocationsCmd::Rename { location, name } => {
            out.show(&Labelled("Renamed", &m.rename_location(&location, &name)?))
        }
    }
    Ok(())
}

/// Exit 0, or the export's own code when it could not write its files.
fn keys(m: &dyn Manage, target: &Target, cmd: KeysCmd, out: &Out) -> Result<u8, Error> {
    match cmd {
        KeysCmd::Create {
            owner,
            name,
            location,
            expires,
            policy,
            always,
        } => out.show(&Labelled(
            "Created",
            &m.create_key(NewKey {
                owner,
                name,
                location,
                expires: Some(expires),
                permissions: policy.permissions,
                rate: policy.rate,
                notes: policy.notes.unwrap_or_default(),
                tags: policy.tags,
                keep_always: always,
            })?,
        )),
        KeysCmd::Usage { key, days } => out.show(&m.key_usage(&key, days)?),
        KeysCmd::Edit {
            key,
            name,
            policy,
            no_tags,
        } => {
            let edit = KeyEdit {
                name,
                notes: policy.notes,
                tags: if no_tags {
                    Some(Vec::new())
                } else {
                    (!policy.tags.is_empty()).then_some(policy.tags)
                },
                permissions: (!policy.permissions.is_empty()).then_some(policy.permissions),
                rate: policy.rate,
                keep_always: None,
            };
            if edit == KeyEdit::default() {
                return Err(Error::invalid(
                    "nothing to change — pass --name, --notes, --tag, --no-tags, --permission or --rate",
                ));
            }
            out.show(&Labelled("Updated", &m.edit_key(&key, edit)?))
        }
        KeysCmd::List(a) => out.show(&m.list_keys(&KeyFilter {
            owner: a.owner,
            status: a.status,
            search: a.search,
            scope: a.scope,
        })?),
        KeysCmd::Show { key } => {
            let view = m.key_view(&key)?;
            let tokens = m.list_tokens(Some(&view.id))?;
            out.show(&KeyAndTokens {
                key: &view,
                tokens: &tokens,
            })
        }
        KeysCmd::Reveal { key } => {
            let secret = m.reveal_key(&key, Disclosure::Reveal)?;
            out.show(&Revealed {
                view: &m.key_view(&key)?,
                secret: secret.expose(),
            })
        }
        KeysCmd::Regenerate { key, grace } => {
            let grace = keyward_core::keys::parse_grace(&grace)?;
            out.show(&Labelled("Regenerated", &m.regenerate_key(&key, grace)?))
        }
        KeysCmd::Disable { key } => {
            out.show(&Labelled("Disabled", &m.set_key_disabled(&key, true)?))
        }
        KeysCmd::Enable { key } => {
            out.show(&Labelled("Enabled", &m.set_key_disabled(&key, false)?))
        }
        KeysCmd::Keep {
            key,
            always,
            no_always,
        } => {
            if always || no_always {
                let edit = KeyEdit {
                    keep_always: Some(always),
                    ..KeyEdit::default()
                };
                let label = if always {
                    "Never deleted for inactivity:"
                } else {
                    "Deleted for inactivity again, like other keys:"
                };
                out.show(&Labelled(label, &m.edit_key(&key, edit)?))
            } else {
                out.show(&KeptKey(&m.keep_key(&key)?))
            }
        }
        KeysCmd::Rename { key, name } => {
            let edit = KeyEdit {
                name: Some(name),
                ..KeyEdit::default()
            };
            out.show(&Labelled("Renamed", &m.edit_key(&key, edit)?))
        }
        KeysCmd::Delete { key, force } => out.show(&m.delete_key(&key, force, None)?),
        KeysCmd::Deleted => out.show(&m.deleted_keys()?),
        KeysCmd::Restore { key } => out.show(&Labelled("Restored", &m.restore_key(&key)?)),
        KeysCmd::Purge { key, yes } => {
            if !yes {
                return Err(Error::ConfirmationRequired(format!(
                    "purging {} cannot be undone: it can never be restored; run it again with --yes to go ahead",
                    key.trim()
                )));
            }
            out.show(&PurgedKey(&m.purge_deleted_key(&key)?))
        }
        KeysCmd::ExportPostman { key, out: dest } => {
            return crate::local_api::export_postman(m, target, &key, dest, out)
        }
    }
    Ok(0)
}

fn tokens(m: &dyn Manage, cmd: TokensCmd, out: &Out) -> Result<(), Error> {
    match cmd {
        TokensCmd::Create { key } => out.show(&m.create_token(&key)?),
        TokensCmd::List { key } => out.show(&m.list_tokens(key.as_deref())?),
        TokensCmd::Revoke { token } => out.show(&Labelled("Revoked", &m.revoke_token(&token)?)),
    }
    Ok(())
}

fn manage_tokens(m: &dyn Manage, cmd: ManageTokensCmd, out: &Out) -> Result<(), Error> {
    match cmd {
        ManageTokensCmd::Create {
            user,
            name,
            expires,
        } => {
            let lifetime = keyward_core::management::parse_lifetime(&expires)?;
            out.show(&m.create_management_token(&user, name.as_deref(), lifetime)?)
        }
        ManageTokensCmd::List { user } => out.show(&m.list_management_tokens(user.as_deref())?),
        ManageTokensCmd::Revoke { token } => {
            out.show(&Labelled("Revoked", &m.revoke_management_token(&token)?))
        }
    }
    Ok(())
}
