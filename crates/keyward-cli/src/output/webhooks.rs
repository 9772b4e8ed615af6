//! Webhook subscriptions and their delivery log.

use keyward_core::{CreatedWebhook, DeliveryView, WebhookView};
use serde::{Serialize, Serializer};

use super::{stamp, Cx, Human, Labelled, Revealed, Row};

/// "on", "off (why)" or "on (paused: why)".
fn status(w: &WebhookView) -> String {
    let mut s = w.status.to_string();
    if let Some(why) = &w.off_reason {
        s.push_str(&format!(" ({why})"));
    } else if let Some(why) = &w.paused_reason {
        s.push_str(&format!(" (paused: {why})"));
    }
    s
}

impl Human for CreatedWebhook {
    fn human(&self, _: &Cx) {
        let w = &self.view;
        outln!(
            "Subscribed {} ({}) to {}.{} events of {}",
            w.url,
            w.id,
            w.entity,
            w.operation,
            w.user_email
        );
        outln!();
        outln!("    {}", self.secret);
        outln!();
        outln!("This is the signing secret: store it securely and use it to verify the");
        outln!("webhook-signature header of each request (Standard Webhooks).");
        if w.allow_private {
            outln!("Private and loopback targets are allowed for this webhook.");
        }
    }
}

impl Human for Labelled<'_, WebhookView> {
    fn human(&self, _: &Cx) {
        let Labelled(label, w) = self;
        outln!(
            "{label} webhook {} ({}) — {}.{} of {}, {}",
            w.url,
            w.id,
            w.entity,
            w.operation,
            w.user_email,
            status(w)
        );
    }
}

impl Row for WebhookView {
    const NONE: &'static str = "No webhooks. Add one with `keyward webhooks add --user U --url URL --entity api_key --operation '*'`.";

    fn cells(&self, _: &Cx) -> Vec<(&'static str, String)> {
        vec![
            ("ID", self.id.clone()),
            ("SITE MANAGER", self.user_email.clone()),
            ("URL", self.url.clone()),
            ("ENTITY", self.entity.clone()),
            ("OPERATION", self.operation.clone()),
            ("STATUS", status(self)),
            ("PENDING", self.pending.to_string()),
        ]
    }
}

impl Row for DeliveryView {
    const NONE: &'static str = "No deliveries yet.";

    fn cells(&self, _: &Cx) -> Vec<(&'static str, String)> {
        let result = match (&self.status_code, &self.error) {
            (Some(code), Some(e)) if !e.starts_with("HTTP") => format!("{code} {e}"),
            (Some(code), None) => format!("HTTP {code}"),
            (_, Some(e)) => e.clone(),
            (None, None) => "-".to_owned(),
        };
        vec![
            ("TIME", stamp(&self.at)),
            ("EVENT", self.event_type.clone()),
            ("ATTEMPT", self.attempt.to_string()),
            ("OUTCOME", self.outcome.to_string()),
            ("STATUS OR ERROR", result),
            (
                "NEXT RETRY",
                self.next_retry_at
                    .as_ref()
                    .map_or_else(|| "-".to_owned(), stamp),
            ),
        ]
    }
}

/// `webhooks test`: the webhook and its latest delivery, which is the test event's once
/// the one-shot delivery pass has sent it.
pub struct TestedWebhook<'a> {
    pub webhook: &'a WebhookView,
    pub delivery: Option<&'a DeliveryView>,
}

impl Serialize for TestedWebhook<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        serde_json::json!({"webhook": self.webhook, "delivery": self.delivery}).serialize(s)
    }
}

impl Human for TestedWebhook<'_> {
    fn human(&self, _: &Cx) {
        let w = self.webhook;
        outln!("Sent a webhook.test event to {} ({})", w.url, w.id);
        match self.delivery.filter(|d| d.event_type == "webhook.test") {
            Some(d) if d.outcome == "delivered" => {
                outln!("Delivered: HTTP {}", d.status_code.unwrap_or_default())
            }
            Some(d) => outln!(
                "Not delivered ({}): {}{}",
                d.outcome,
                d.error.clone().unwrap_or_default(),
                d.next_retry_at
                    .as_ref()
                    .map(|t| format!(" — next retry at {}", stamp(t)))
                    .unwrap_or_default()
            ),
            None => outln!("Queued; it goes out with the next delivery pass."),
        }
    }
}

impl Serialize for Revealed<'_, WebhookView> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        serde_json::json!({"id": self.view.id, "url": self.view.url, "secret": self.secret})
            .serialize(s)
    }
}
