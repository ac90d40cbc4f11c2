//! WebRTC signaling: relayed to the target's connections, never stored,
//! never waiting behind a store write.

use seam_protocol::{Ack, ErrorCode, ServerFrame, Signal, SignalTarget};

use super::{view, CommandContext, CommandError};
use crate::frame::Frame;
use crate::hub::node_of;
use crate::session::{rules, SessionError};

pub(super) async fn signal(
    ctx: &CommandContext<'_>,
    id: String,
    session_id: String,
    to: SignalTarget,
    signal: Signal,
) -> Result<(), CommandError> {
    let max = ctx.state.config.media.max_signal_bytes;
    if signal.payload_len() > max {
        return Err(CommandError::new(
            ErrorCode::MessageTooLarge,
            format!("signal payload exceeds {max} bytes"),
        )
        .in_session(&session_id));
    }
    let actor = ctx.actor();
    let view = view(ctx, &session_id).await?;
    let refused = |e: SessionError| CommandError::from(e).in_session(&session_id);
    if rules::signal(&view, &actor, &to.sub).is_err() {
        // The call may have started on another node a moment ago.
        let fresh = ctx
            .state
            .engine
            .refresh(&session_id)
            .await
            .map_err(refused)?
            .ok_or_else(|| refused(SessionError::NotFound))?;
        rules::signal(&fresh, &actor, &to.sub).map_err(refused)?;
    }
    let hub = &ctx.state.hub;
    let from_conn = ctx.outbox.conn_id();
    let connection = to.connection_id.as_deref();
    let unknown_node = connection.is_some_and(|c| !ctx.state.routing.knows_node(node_of(c)));
    if unknown_node || !hub.can_signal(&session_id, &to.sub, connection, from_conn) {
        return Err(refused(SessionError::TargetNotFound));
    }
    let frame = Frame::encode(&ServerFrame::Signal {
        session_id: session_id.clone(),
        from: actor,
        from_connection: ctx.outbox.name().to_owned(),
        signal,
    });
    hub.signal(&session_id, &to.sub, connection, from_conn, &frame);
    ctx.ack(Ack {
        id,
        session_id: Some(session_id),
        ..Ack::default()
    });
    Ok(())
}
