//! Opening, joining, leaving and ending sessions.

use seam_protocol::{CustomerContext, ErrorCode, Mode, Role};

use super::{attach, in_session, require_role, Attach, CommandContext, CommandError};
use crate::lifecycle::Ender;

pub(super) async fn open_session(
    ctx: &mut CommandContext<'_>,
    id: String,
    context: Option<CustomerContext>,
    existing_only: bool,
) -> Result<(), CommandError> {
    require_role(
        ctx.identity.principal.role,
        &[Role::Customer],
        "open_session",
    )?;
    if existing_only {
        let sub = &ctx.identity.principal.sub;
        let Some(session_id) = ctx.state.engine.open_session_of(sub).await else {
            return Err(CommandError::new(
                ErrorCode::SessionNotFound,
                "you have no open session (existing_only: none was created)",
            ));
        };
        attach(ctx, &session_id, Attach::join(&id)).await?;
        ctx.state.routing.retell_status(&session_id).await;
        return Ok(());
    }
    let allowed = ctx.state.config.auth.client_context_keys.as_deref();
    let context = customer_context(
        ctx.identity.context.clone(),
        context.unwrap_or_default(),
        allowed,
    )?;
    open_and_attach(ctx, &id, context, None).await
}

/// The context a session opens with: what the company signed into the
/// token wins; the client may fill `issue_type` and `page` where the token
/// says nothing, and add metadata keys, which are kept apart as
/// `customer_provided` (only the keys `allowed`, when configured).
pub(super) fn customer_context(
    signed: CustomerContext,
    offered: CustomerContext,
    allowed: Option<&[String]>,
) -> Result<CustomerContext, CommandError> {
    let mut context = signed;
    if context.issue_type.is_none() {
        context.issue_type = offered.issue_type;
    }
    if context.page.is_none() {
        context.page = offered.page;
    }
    let added = offered
        .metadata
        .into_iter()
        .chain(offered.customer_provided);
    for (key, value) in added {
        if allowed.is_some_and(|keys| !keys.contains(&key)) {
            return Err(CommandError::new(
                ErrorCode::InvalidMessage,
                format!(
                    "context key `{key}` may not be set by the client (auth.client_context_keys)"
                ),
            ));
        }
        if !context.metadata.contains_key(&key) {
            context.customer_provided.insert(key, value);
        }
    }
    Ok(context)
}

/// Opens (or gets back) the customer's session, attaches this connection,
/// and, for a new session with routing on, queues it for an agent.
pub(super) async fn open_and_attach(
    ctx: &mut CommandContext<'_>,
    id: &str,
    context: CustomerContext,
    requested_mode: Option<Mode>,
) -> Result<(), CommandError> {
    let actor = ctx.actor();
    let state = ctx.state;
    let (view, created, enqueue) = state
        .lifecycle
        .open(&actor, context, id, requested_mode)
        .await?;
    attach(ctx, &view.session_id, Attach::join(id)).await?;
    match enqueue {
        Some(enqueue) => state.routing.enqueue(enqueue).await,
        None if !created => state.routing.retell_status(&view.session_id).await,
        None => {}
    }
    Ok(())
}

pub(super) async fn join(
    ctx: &mut CommandContext<'_>,
    id: String,
    session_id: String,
    after_seq: Option<u64>,
    epoch: Option<String>,
) -> Result<(), CommandError> {
    let role = ctx.identity.principal.role;
    require_role(
        role,
        &[Role::Customer, Role::Agent, Role::Supervisor, Role::Bot],
        "join",
    )?;
    let how = Attach {
        after_seq,
        epoch: epoch.as_deref(),
        ..Attach::join(&id)
    };
    attach(ctx, &session_id, how).await?;
    if role == Role::Customer {
        ctx.state.routing.retell_status(&session_id).await;
    }
    Ok(())
}

pub(super) async fn leave(
    ctx: &CommandContext<'_>,
    id: String,
    session_id: String,
) -> Result<(), CommandError> {
    let actor = ctx.actor();
    require_role(
        actor.role,
        &[Role::Agent, Role::Supervisor, Role::Bot],
        "leave (customers end the session instead)",
    )?;
    let committed = ctx
        .state
        .lifecycle
        .leave(&session_id, &actor, &id)
        .await
        .map_err(in_session(&session_id))?;
    ctx.ack_committed(id, session_id, &committed);
    Ok(())
}

pub(super) async fn end(
    ctx: &CommandContext<'_>,
    id: String,
    session_id: String,
    reason: Option<String>,
) -> Result<(), CommandError> {
    let actor = ctx.actor();
    require_role(
        actor.role,
        &[Role::Customer, Role::Agent, Role::Supervisor, Role::Bot],
        "end_session",
    )?;
    let committed = ctx
        .state
        .lifecycle
        .end(&session_id, &actor, Ender::Participant(&id), reason)
        .await
        .map_err(in_session(&session_id))?;
    ctx.ack_committed(id, session_id, &committed);
    Ok(())
}
