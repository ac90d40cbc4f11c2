//! Chat: messages, typing indicators and the customer's rating.

use seam_protocol::{Ack, ErrorCode, Role, ServerFrame};

use super::{post, require_role, view, CommandContext, CommandError};
use crate::frame::Frame;
use crate::session::{rules, SessionError};

pub(super) async fn message(
    ctx: &CommandContext<'_>,
    id: String,
    session_id: String,
    text: String,
    extras: rules::MessageExtras,
) -> Result<(), CommandError> {
    if text.trim().is_empty() {
        return Err(
            CommandError::new(ErrorCode::InvalidMessage, "message text is empty")
                .in_session(&session_id),
        );
    }
    if let Err(why) = extras.check(ctx.state.config.limits.max_text_chars) {
        return Err(CommandError::new(ErrorCode::InvalidMessage, why).in_session(&session_id));
    }
    // Its length was checked with every free text (`check_text_limit`).
    let mut waiting = false;
    let committed = post(ctx, id, session_id.clone(), |view, actor| {
        waiting = actor.role == Role::Customer && view.queue.is_some() && !view.is_served();
        rules::message(view, actor, text.clone(), extras.clone())
    })
    .await?;
    if waiting && !committed.duplicate {
        // Shown with the offers for it.
        ctx.state.routing.customer_wrote(&session_id, &text).await;
    }
    Ok(())
}

/// The author edits (`Some` text) or deletes (`None`) one of their
/// messages, within `messages.edit_window_secs`; stored as a
/// `message_edited` or `message_deleted` event.
pub(super) async fn revise(
    ctx: &CommandContext<'_>,
    id: String,
    session_id: String,
    seq: u64,
    text: Option<String>,
) -> Result<(), CommandError> {
    if text.as_deref().is_some_and(|t| t.trim().is_empty()) {
        return Err(
            CommandError::new(ErrorCode::InvalidMessage, "message text is empty")
                .in_session(&session_id),
        );
    }
    // The target never changes once stored: read it once, outside the
    // session's order.
    let target = match seq {
        0 => None,
        seq => ctx
            .state
            .engine
            .read(&session_id, seq - 1, 1)
            .await
            .map_err(|e| CommandError::from(e).in_session(&session_id))?
            .pop(),
    };
    let window_ms = ctx
        .state
        .config
        .messages
        .edit_window_secs
        .saturating_mul(1000);
    let now = ctx.state.timers.clock().now_millis();
    post(ctx, id, session_id, |view, actor| {
        let revision = rules::Revision {
            seq,
            target: target.as_ref(),
            now,
            window_ms,
        };
        rules::revise(view, actor, revision, text.clone())
    })
    .await?;
    Ok(())
}

/// Relays a typing indicator to every other attached connection; never
/// stored, never waits behind a store write.
pub(super) async fn typing(
    ctx: &CommandContext<'_>,
    id: String,
    session_id: String,
    active: bool,
) -> Result<(), CommandError> {
    let actor = ctx.actor();
    let view = view(ctx, &session_id).await?;
    rules::check_can_post(&view, &actor)
        .map_err(|e| CommandError::from(e).in_session(&session_id))?;
    let frame = Frame::encode(&ServerFrame::Typing {
        session_id: session_id.clone(),
        from: actor,
        active,
    });
    ctx.state
        .hub
        .to_others(&session_id, ctx.outbox.conn_id(), &frame);
    ctx.ack(Ack {
        id,
        session_id: Some(session_id),
        ..Ack::default()
    });
    Ok(())
}

/// Moves the actor's delivery and read horizons forward: stored (not as
/// an event), then relayed to the session's other connections, the actor's
/// other tabs included. A connection that is not a participant (a
/// supervisor monitoring) is acknowledged and not recorded: nobody is told
/// it read anything.
pub(super) async fn receipt(
    ctx: &CommandContext<'_>,
    id: String,
    session_id: String,
    delivered_seq: Option<u64>,
    read_seq: Option<u64>,
) -> Result<(), CommandError> {
    let invalid = |why: String| {
        Err(CommandError::new(ErrorCode::InvalidMessage, why).in_session(&session_id))
    };
    if delivered_seq.is_none() && read_seq.is_none() {
        return invalid("a receipt needs `delivered_seq`, `read_seq` or both".into());
    }
    let actor = ctx.actor();
    let mut view = view(ctx, &session_id).await?;
    rules::check_owner(&view, &actor).map_err(|e| CommandError::from(e).in_session(&session_id))?;
    let read = read_seq.unwrap_or(0);
    let delivered = delivered_seq.unwrap_or(0).max(read);
    if delivered > view.last_seq {
        // Another node may have stored events this node has not seen yet.
        if let Some(fresh) = ctx
            .state
            .engine
            .refresh(&session_id)
            .await
            .map_err(|e| CommandError::from(e).in_session(&session_id))?
        {
            view = fresh;
        }
    }
    if delivered > view.last_seq {
        return invalid(format!(
            "seq {delivered} is beyond the session's last event ({})",
            view.last_seq
        ));
    }
    let ack = Ack {
        id,
        session_id: Some(session_id.clone()),
        ..Ack::default()
    };
    if !view.is_participant(&actor.sub) {
        ctx.ack(ack);
        return Ok(());
    }
    let receipt = ctx
        .state
        .store
        .put_receipt(&session_id, &actor, delivered, read)
        .await
        .map_err(|e| CommandError::from(SessionError::Store(e)).in_session(&session_id))?;
    let frame = Frame::encode(&ServerFrame::Receipt {
        session_id: session_id.clone(),
        receipt,
    });
    ctx.state
        .hub
        .to_others(&session_id, ctx.outbox.conn_id(), &frame);
    ctx.ack(ack);
    Ok(())
}

pub(super) async fn rate(
    ctx: &CommandContext<'_>,
    id: String,
    session_id: String,
    score: u8,
    comment: Option<String>,
) -> Result<(), CommandError> {
    require_role(
        ctx.identity.principal.role,
        &[Role::Customer],
        "rate sessions",
    )?;
    if !(1..=5).contains(&score) {
        return Err(CommandError::new(
            ErrorCode::InvalidMessage,
            format!("score must be 1 to 5, not {score}"),
        )
        .in_session(&session_id));
    }
    post(ctx, id, session_id, |view, actor| {
        rules::rate(view, actor, score, comment.clone())
    })
    .await?;
    Ok(())
}
