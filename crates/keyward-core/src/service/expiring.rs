//! The "Expiring soon" summary, from the in-memory index.

use crate::error::Result;
use crate::model::clock::{days_until, due_phrase, to_datetime};
use crate::store::index::Index;
use crate::store::Store;
use crate::view::lifecycle::{last_use_sentence, DueKey, DueToken, ExpiringSoon};

impl Store {
    pub fn expiring_soon(&self) -> Result<ExpiringSoon> {
        self.with_index(|ix| self.expiring_soon_in(ix))?
    }

    fn expiring_soon_in(&self, ix: &Index) -> Result<ExpiringSoon> {
        let ctx = self.view_context_in(ix)?;
        let key_window = ctx.settings.soon_days();
        let token_window = ctx
            .settings
            .token_reminder_days
            .iter()
            .copied()
            .max()
            .unwrap_or(30) as i64;
        let mut out = ExpiringSoon::default();
        for key in ix.keys.values() {
            let v = ctx.view(key);
            if let (Some(at), Some(days)) = (&v.deletes_at, v.deletes_in_days) {
                if days <= key_window {
                    let due_in = due_phrase(ctx.now, at.timestamp_millis());
                    out.keys.push(DueKey {
                        summary: format!("API key '{}' will be deleted {due_in}", v.name),
                        advice: format!(
                            "{} Open Keyward and choose Keep if it is still needed.",
                            last_use_sentence(
                                ctx.now,
                                v.last_used_at.map(|u| u.timestamp_millis())
                            )
                        ),
                        id: v.id.clone(),
                        name: v.name.clone(),
                        owner: v.owner.clone(),
                        deletes_at: *at,
                        days_left: days,
                        due_in,
                        last_used_at: v.last_used_at,
                        reminded: v.deletion_scheduled,
                    });
                }
            }
            for t in ctx.tokens.get(&key.id).into_iter().flatten() {
                let days = days_until(ctx.now, t.expires_at);
                if t.is_live(key, ctx.now) && days <= token_window {
                    out.tokens.push(DueToken {
                        id: t.id.clone(),
                        key_id: key.id.clone(),
                        key_name: key.name.clone(),
                        expires_at: to_datetime(t.expires_at),
                        days_left: days,
                        due_in: due_phrase(ctx.now, t.expires_at),
                    });
                }
            }
        }
        out.keys
            .sort_by(|a, b| (&a.deletes_at, &a.id).cmp(&(&b.deletes_at, &b.id)));
        out.tokens
            .sort_by(|a, b| (&a.expires_at, &a.id).cmp(&(&b.expires_at, &b.id)));
        out.urgent = out.keys.iter().filter(|k| k.days_left <= 1).count();
        Ok(out)
    }
}
