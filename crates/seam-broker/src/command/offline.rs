//! When nobody can answer: whether a customer writing now would reach
//! someone (opening hours, agents on duty, expected wait), and the message
//! they leave to be answered by email instead.

use seam_protocol::{
    Ack, AgentStatus, Availability, CustomerContext, ErrorCode, EventBody, OfflineMessage, Role,
};

use super::{require_role, CommandContext, CommandError};

/// The longest email address accepted (RFC 5321's path limit).
const MAX_EMAIL_BYTES: usize = 254;

/// How many offline messages `offline_messages` lists.
const OFFLINE_LIST: usize = 50;

/// How many of a session's first events are read to find its offline
/// message (it follows the opening, a queueing and little else).
const OFFLINE_SCAN: usize = 16;

/// Answers where a session would go now and whether anyone is there.
pub(super) async fn availability(
    ctx: &CommandContext<'_>,
    id: String,
    issue_type: Option<String>,
) -> Result<(), CommandError> {
    require_role(
        ctx.identity.principal.role,
        &[Role::Customer],
        "ask for availability",
    )?;
    let mut context = ctx.identity.context.clone();
    if issue_type.is_some() {
        context.issue_type = issue_type;
    }
    let availability = availability_for(ctx, &context).await?;
    ctx.ack(Ack {
        id,
        availability: Some(availability),
        ..Ack::default()
    });
    Ok(())
}

async fn availability_for(
    ctx: &CommandContext<'_>,
    context: &CustomerContext,
) -> Result<Availability, CommandError> {
    let state = ctx.state;
    let router = state.routing.router();
    let overview = state.routing.overview(Vec::new()).await?;
    let queue = router.queue_for(context);
    let on_duty = overview
        .agents
        .iter()
        .filter(|a| a.status == AgentStatus::Available)
        .filter(|a| queue.is_none_or(|q| q.served_by(&a.skills)))
        .count();
    let Some(queue) = queue else {
        return Ok(Availability {
            queue: None,
            open: true,
            agents_online: on_duty,
            estimated_wait_ms: 0,
            opens_at: None,
        });
    };
    let now = state.timers.clock().now_millis();
    let schedule = router.schedule(&queue.name);
    let open = schedule.is_none_or(|s| s.is_open(now));
    let estimated_wait_ms = overview
        .queues
        .iter()
        .find(|q| q.name == queue.name)
        .map_or(0, |q| q.estimated_wait_ms);
    Ok(Availability {
        queue: Some(queue.name.clone()),
        open,
        agents_online: on_duty,
        estimated_wait_ms,
        opens_at: if open {
            None
        } else {
            schedule.and_then(|s| s.next_opening(now))
        },
    })
}

/// Stores a message left for an email answer (see
/// `Lifecycle::leave_message`) and answers with its session and seq.
pub(super) async fn leave_message(
    ctx: &CommandContext<'_>,
    id: String,
    text: String,
    email: String,
    context: Option<CustomerContext>,
) -> Result<(), CommandError> {
    require_role(
        ctx.identity.principal.role,
        &[Role::Customer],
        "leave a message",
    )?;
    if text.trim().is_empty() {
        return Err(CommandError::new(
            ErrorCode::InvalidMessage,
            "the message is empty",
        ));
    }
    let email = email.trim().to_owned();
    if !is_email(&email) {
        return Err(CommandError::new(
            ErrorCode::InvalidMessage,
            format!("`{email}` is not an email address we can reply to"),
        ));
    }
    let allowed = ctx.state.config.auth.client_context_keys.as_deref();
    let context = super::lifecycle::customer_context(
        ctx.identity.context.clone(),
        context.unwrap_or_default(),
        allowed,
    )?;
    let actor = ctx.actor();
    let (session_id, committed) = ctx
        .state
        .lifecycle
        .leave_message(&actor, context, &id, text, email)
        .await?;
    ctx.ack_committed(id, session_id, &committed);
    Ok(())
}

/// Lists the latest messages left for an email answer: for supervisors
/// all, for agents those of queues whose skills they have.
pub(super) async fn offline_messages(
    ctx: &CommandContext<'_>,
    id: String,
) -> Result<(), CommandError> {
    let role = ctx.identity.principal.role;
    require_role(
        role,
        &[Role::Agent, Role::Supervisor],
        "list offline messages",
    )?;
    let state = ctx.state;
    let router = state.routing.router();
    let skills = &ctx.identity.skills;
    let may_see = |queue: Option<&str>| {
        role == Role::Supervisor
            || queue
                .and_then(|q| router.queue(q).ok())
                .is_none_or(|q| q.served_by(skills))
    };
    let filter = crate::store::SessionFilter {
        offline: Some(true),
        limit: OFFLINE_LIST,
        ..Default::default()
    };
    let store_failed = |e| CommandError::from(crate::session::SessionError::Store(e));
    let mut listed = Vec::new();
    for session in state.store.list(&filter).await.map_err(store_failed)? {
        if !may_see(session.queue.as_deref()) {
            continue;
        }
        let events = state
            .store
            .events_after(&session.session_id, 0, OFFLINE_SCAN)
            .await
            .map_err(store_failed)?;
        for event in events {
            if let EventBody::OfflineMessage { text, email, queue } = event.body {
                listed.push(OfflineMessage {
                    session_id: session.session_id.clone(),
                    customer: session.customer.clone(),
                    email,
                    text,
                    queue,
                    at: event.at,
                });
                break;
            }
        }
    }
    // Newest first by when they were left (the listing orders by when the
    // session opened: a waiting session opened earlier).
    listed.sort_by(|a, b| (b.at, &b.session_id).cmp(&(a.at, &a.session_id)));
    ctx.ack(Ack {
        id,
        offline_messages: Some(listed),
        ..Ack::default()
    });
    Ok(())
}

/// A plausible address: one `@`, something before it, a dotted domain
/// after it, no spaces or control characters, at most 254 bytes.
fn is_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    email.len() <= MAX_EMAIL_BYTES
        && !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
}

#[cfg(test)]
mod tests {
    use super::is_email;

    #[test]
    fn email_addresses_are_checked_for_shape() {
        for good in ["lea@example.com", "a.b+tag@mail.example.co.uk"] {
            assert!(is_email(good), "{good}");
        }
        for bad in [
            "",
            "lea",
            "@example.com",
            "lea@",
            "lea@localhost",
            "lea@@example.com",
            "lea @example.com",
            "lea@example.com.",
            "lea@.example.com",
        ] {
            assert!(!is_email(bad), "{bad}");
        }
        assert!(!is_email(&format!("{}@example.com", "x".repeat(250))));
    }
}
