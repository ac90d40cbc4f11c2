//! The user-facing handle: typed commands that resolve on the broker's ack.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use rand::Rng;
use seam_protocol::{
    Ack, AgentStatus, Availability, CannedResponse, Card, Choice, ClientFrame, CustomerContext,
    ErrorCode, Mode, ModeRecommendation, OfflineMessage, Overview, QuickReply, SessionOverview,
    SessionSnapshot, Signal, SignalTarget, TransferTarget,
};
use tokio::sync::{mpsc, oneshot};

use crate::config::ClientConfig;
use crate::driver::{Driver, Request};
use crate::error::ClientError;
use crate::event::Events;

/// A connection to a seam broker. Cheap to clone; the connection closes
/// when every clone is dropped or [`Client::close`] is called.
#[derive(Debug, Clone)]
pub struct Client {
    requests: mpsc::UnboundedSender<Request>,
    prefix: Arc<str>,
    next: Arc<AtomicU64>,
    ack_timeout: Duration,
}

impl Client {
    /// Connects and authenticates; fails if the first connection does. After
    /// that, lost connections are re-established in the background.
    pub async fn connect(config: ClientConfig) -> Result<(Client, Events), ClientError> {
        let (requests, requests_rx) = mpsc::unbounded_channel();
        let (events_tx, events_rx) = mpsc::unbounded_channel();
        let prefix: Arc<str> = format!("{:08x}", rand::rng().random::<u32>()).into();
        let ack_timeout = config.ack_timeout;
        let driver = Driver::new(config, Arc::clone(&prefix), requests_rx, events_tx);
        driver.start().await?;
        let client = Client {
            requests,
            prefix,
            next: Arc::new(AtomicU64::new(1)),
            ack_timeout,
        };
        Ok((client, Events { rx: events_rx }))
    }

    /// A fresh command id, unique to this client.
    pub fn next_id(&self) -> String {
        format!(
            "{}-{}",
            self.prefix,
            self.next.fetch_add(1, Ordering::Relaxed)
        )
    }

    /// Sends any command and waits for its ack. The command is resent under
    /// the same id after a reconnect until it is acknowledged, and retried
    /// after `rate_limited`; the broker never applies it twice.
    pub async fn send(&self, frame: ClientFrame) -> Result<Ack, ClientError> {
        let (reply, ack) = oneshot::channel();
        self.requests
            .send(Request::Command { frame, reply })
            .map_err(|_| ClientError::Shutdown)?;
        match tokio::time::timeout(self.ack_timeout, ack).await {
            Err(_) => Err(ClientError::Timeout),
            Ok(Err(_)) => Err(ClientError::Shutdown),
            Ok(Ok(result)) => result,
        }
    }

    /// Customer: opens a session (or gets back the open one) and attaches to
    /// it; its history follows as [`crate::Event::Session`] events.
    pub async fn open_session(
        &self,
        context: Option<CustomerContext>,
    ) -> Result<SessionSnapshot, ClientError> {
        let ack = self
            .send(ClientFrame::OpenSession {
                id: self.next_id(),
                context,
                existing_only: false,
            })
            .await?;
        snapshot(ack)
    }

    /// Customer: attaches to the open session if there is one (its history
    /// follows as events) without ever creating one; `None` when there is
    /// none.
    pub async fn existing_session(&self) -> Result<Option<SessionSnapshot>, ClientError> {
        let sent = self
            .send(ClientFrame::OpenSession {
                id: self.next_id(),
                context: None,
                existing_only: true,
            })
            .await;
        match sent {
            Ok(ack) => snapshot(ack).map(Some),
            Err(ClientError::Rejected(frame)) if frame.code == ErrorCode::SessionNotFound => {
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    /// Agents, bots, supervisors: the saved replies configured on the broker.
    pub async fn canned_responses(&self) -> Result<Vec<CannedResponse>, ClientError> {
        let ack = self
            .send(ClientFrame::CannedResponses { id: self.next_id() })
            .await?;
        Ok(ack.canned_responses.unwrap_or_default())
    }

    /// Customers: whether someone can answer now (opening hours, agents on
    /// duty, expected wait) in the queue their session would enter, or the
    /// queue of `issue_type`.
    pub async fn availability(
        &self,
        issue_type: Option<&str>,
    ) -> Result<Availability, ClientError> {
        let ack = self
            .send(ClientFrame::Availability {
                id: self.next_id(),
                issue_type: issue_type.map(str::to_owned),
            })
            .await?;
        ack.availability
            .ok_or_else(|| ClientError::Protocol("availability ack without availability".into()))
    }

    /// Agents and supervisors: the latest messages customers left for an
    /// email answer, newest first.
    pub async fn offline_messages(&self) -> Result<Vec<OfflineMessage>, ClientError> {
        let ack = self
            .send(ClientFrame::OfflineMessages { id: self.next_id() })
            .await?;
        Ok(ack.offline_messages.unwrap_or_default())
    }

    /// Customers: leaves a message to be answered by email (when nobody can
    /// answer now). The ack names the session it was stored in.
    pub async fn leave_message(
        &self,
        text: &str,
        email: &str,
        context: Option<CustomerContext>,
    ) -> Result<Ack, ClientError> {
        self.send(ClientFrame::LeaveMessage {
            id: self.next_id(),
            text: text.to_owned(),
            email: email.to_owned(),
            context,
        })
        .await
    }

    /// Agents, bots and supervisors: the open sessions they take part in
    /// now, newest first (to rejoin them with [`Client::join`]).
    pub async fn my_sessions(&self) -> Result<Vec<SessionOverview>, ClientError> {
        let ack = self
            .send(ClientFrame::MySessions { id: self.next_id() })
            .await?;
        Ok(ack.sessions.unwrap_or_default())
    }

    /// Joins (or re-attaches to) a session; its full history follows.
    pub async fn join(&self, session_id: &str) -> Result<SessionSnapshot, ClientError> {
        let ack = self
            .send(ClientFrame::Join {
                id: self.next_id(),
                session_id: session_id.to_owned(),
                after_seq: None,
                epoch: None,
            })
            .await?;
        snapshot(ack)
    }

    /// Posts a chat message; the ack carries its `seq`.
    pub async fn send_message(&self, session_id: &str, text: &str) -> Result<Ack, ClientError> {
        self.send_rich(session_id, text, Vec::new(), None).await
    }

    /// Agents and bots: a message with quick replies (buttons the customer
    /// answers with) and an optional card.
    pub async fn send_rich(
        &self,
        session_id: &str,
        text: &str,
        quick_replies: Vec<QuickReply>,
        card: Option<Card>,
    ) -> Result<Ack, ClientError> {
        self.send(ClientFrame::Message {
            id: self.next_id(),
            session_id: session_id.to_owned(),
            text: text.to_owned(),
            quick_replies,
            card: card.map(Box::new),
            choice: None,
        })
        .await
    }

    /// Customers: answers a quick reply of the message `seq` (its label as
    /// the text).
    pub async fn choose(
        &self,
        session_id: &str,
        seq: u64,
        reply: &QuickReply,
    ) -> Result<Ack, ClientError> {
        self.send(ClientFrame::Message {
            id: self.next_id(),
            session_id: session_id.to_owned(),
            text: reply.label.clone(),
            quick_replies: Vec::new(),
            card: None,
            choice: Some(Choice {
                seq,
                id: reply.id.clone(),
            }),
        })
        .await
    }

    /// Edits one of your own messages (within the broker's edit window).
    pub async fn edit_message(
        &self,
        session_id: &str,
        seq: u64,
        text: &str,
    ) -> Result<Ack, ClientError> {
        self.send(ClientFrame::EditMessage {
            id: self.next_id(),
            session_id: session_id.to_owned(),
            seq,
            text: text.to_owned(),
        })
        .await
    }

    /// Deletes one of your own messages (within the broker's edit window).
    pub async fn delete_message(&self, session_id: &str, seq: u64) -> Result<Ack, ClientError> {
        self.send(ClientFrame::DeleteMessage {
            id: self.next_id(),
            session_id: session_id.to_owned(),
            seq,
        })
        .await
    }

    /// Starts or stops the typing indicator.
    pub async fn typing(&self, session_id: &str, active: bool) -> Result<(), ClientError> {
        self.send(ClientFrame::Typing {
            id: self.next_id(),
            session_id: session_id.to_owned(),
            active,
        })
        .await
        .map(|_| ())
    }

    /// Reports how far this participant has got in a session: delivered up
    /// to `delivered_seq`, read up to `read_seq` (either may be `None`).
    /// Horizons only move forward; the others see an [`Event::Receipt`].
    ///
    /// [`Event::Receipt`]: crate::Event::Receipt
    pub async fn receipt(
        &self,
        session_id: &str,
        delivered_seq: Option<u64>,
        read_seq: Option<u64>,
    ) -> Result<Ack, ClientError> {
        self.send(ClientFrame::Receipt {
            id: self.next_id(),
            session_id: session_id.to_owned(),
            delivered_seq,
            read_seq,
        })
        .await
    }

    /// Leaves a session without ending it (agents, supervisors, bots).
    pub async fn leave(&self, session_id: &str) -> Result<Ack, ClientError> {
        self.send(ClientFrame::Leave {
            id: self.next_id(),
            session_id: session_id.to_owned(),
        })
        .await
    }

    /// Ends a session for everyone.
    pub async fn end_session(
        &self,
        session_id: &str,
        reason: Option<&str>,
    ) -> Result<Ack, ClientError> {
        self.send(ClientFrame::EndSession {
            id: self.next_id(),
            session_id: session_id.to_owned(),
            reason: reason.map(str::to_owned),
        })
        .await
    }

    /// Asks the other side to upgrade the session to `mode` (optionally with
    /// screen sharing); returns the request's id.
    pub async fn request_mode(
        &self,
        session_id: &str,
        mode: Mode,
        screen_share: bool,
        reason: Option<&str>,
    ) -> Result<String, ClientError> {
        let ack = self
            .send(ClientFrame::RequestMode {
                id: self.next_id(),
                session_id: session_id.to_owned(),
                mode,
                screen_share,
                reason: reason.map(str::to_owned),
            })
            .await?;
        ack.request_id
            .ok_or_else(|| ClientError::Protocol("request_mode ack without request_id".into()))
    }

    /// Accepts or declines the other side's request.
    pub async fn answer_mode(
        &self,
        session_id: &str,
        request_id: &str,
        accept: bool,
        reason: Option<&str>,
    ) -> Result<Ack, ClientError> {
        self.send(ClientFrame::AnswerMode {
            id: self.next_id(),
            session_id: session_id.to_owned(),
            request_id: request_id.to_owned(),
            accept,
            reason: reason.map(str::to_owned),
        })
        .await
    }

    /// Withdraws your own pending request.
    pub async fn cancel_mode_request(
        &self,
        session_id: &str,
        request_id: &str,
    ) -> Result<Ack, ClientError> {
        self.send(ClientFrame::CancelModeRequest {
            id: self.next_id(),
            session_id: session_id.to_owned(),
            request_id: request_id.to_owned(),
        })
        .await
    }

    /// Downgrades the session (or stops screen sharing); no consent needed.
    pub async fn set_mode(
        &self,
        session_id: &str,
        mode: Mode,
        screen_share: bool,
        reason: Option<&str>,
    ) -> Result<Ack, ClientError> {
        self.send(ClientFrame::SetMode {
            id: self.next_id(),
            session_id: session_id.to_owned(),
            mode,
            screen_share,
            reason: reason.map(str::to_owned),
        })
        .await
    }

    /// Hangs up: back to chat.
    pub async fn hang_up(&self, session_id: &str) -> Result<Ack, ClientError> {
        self.set_mode(session_id, Mode::Chat, false, Some("hang up"))
            .await
    }

    /// Sends a WebRTC signaling message to another participant.
    pub async fn signal(
        &self,
        session_id: &str,
        to: SignalTarget,
        signal: Signal,
    ) -> Result<(), ClientError> {
        self.send(ClientFrame::Signal {
            id: self.next_id(),
            session_id: session_id.to_owned(),
            to,
            signal,
        })
        .await
        .map(|_| ())
    }

    /// Agents and bots: sets the routing status. The client says it again
    /// after every reconnect.
    pub async fn set_status(&self, status: AgentStatus) -> Result<(), ClientError> {
        self.send(ClientFrame::SetStatus {
            id: self.next_id(),
            status,
            skills: None,
            capacity: None,
        })
        .await
        .map(|_| ())
    }

    /// Agents: accepts an offer and joins the session (its history follows).
    pub async fn accept_offer(&self, offer_id: &str) -> Result<SessionSnapshot, ClientError> {
        let ack = self
            .send(ClientFrame::AcceptOffer {
                id: self.next_id(),
                offer_id: offer_id.to_owned(),
            })
            .await?;
        snapshot(ack)
    }

    /// Agents: declines an offer.
    pub async fn decline_offer(&self, offer_id: &str) -> Result<(), ClientError> {
        self.send(ClientFrame::DeclineOffer {
            id: self.next_id(),
            offer_id: offer_id.to_owned(),
        })
        .await
        .map(|_| ())
    }

    /// Agents: transfers the session to another agent or a queue.
    pub async fn transfer(
        &self,
        session_id: &str,
        to: TransferTarget,
        note: Option<&str>,
    ) -> Result<Ack, ClientError> {
        self.send(ClientFrame::Transfer {
            id: self.next_id(),
            session_id: session_id.to_owned(),
            to,
            note: note.map(str::to_owned),
        })
        .await
    }

    /// Agents: invites another agent into the session.
    pub async fn invite_agent(
        &self,
        session_id: &str,
        agent: &str,
        note: Option<&str>,
    ) -> Result<Ack, ClientError> {
        self.send(ClientFrame::InviteAgent {
            id: self.next_id(),
            session_id: session_id.to_owned(),
            agent: agent.to_owned(),
            note: note.map(str::to_owned),
        })
        .await
    }

    /// Supervisors: attaches silently to a session.
    pub async fn monitor(&self, session_id: &str) -> Result<SessionSnapshot, ClientError> {
        let ack = self
            .send(ClientFrame::Monitor {
                id: self.next_id(),
                session_id: session_id.to_owned(),
            })
            .await?;
        snapshot(ack)
    }

    /// Agents and supervisors: a message the customer never sees.
    pub async fn whisper(&self, session_id: &str, text: &str) -> Result<Ack, ClientError> {
        self.send(ClientFrame::Whisper {
            id: self.next_id(),
            session_id: session_id.to_owned(),
            text: text.to_owned(),
        })
        .await
    }

    /// Agents and supervisors: an internal note.
    pub async fn note(&self, session_id: &str, text: &str) -> Result<Ack, ClientError> {
        self.send(ClientFrame::Note {
            id: self.next_id(),
            session_id: session_id.to_owned(),
            text: text.to_owned(),
        })
        .await
    }

    /// Supervisors and services: queues, agents and live sessions.
    pub async fn overview(&self) -> Result<Overview, ClientError> {
        let ack = self
            .send(ClientFrame::Overview { id: self.next_id() })
            .await?;
        ack.overview
            .map(|o| *o)
            .ok_or_else(|| ClientError::Protocol("overview ack without an overview".into()))
    }

    /// Supervisors and services: the overview now, then an
    /// [`Event::Stats`](crate::Event::Stats) every few seconds.
    pub async fn subscribe_stats(&self) -> Result<Overview, ClientError> {
        let ack = self
            .send(ClientFrame::SubscribeStats { id: self.next_id() })
            .await?;
        ack.overview
            .map(|o| *o)
            .ok_or_else(|| ClientError::Protocol("subscribe_stats ack without an overview".into()))
    }

    /// Bots: hands the session to a human agent.
    pub async fn handoff(
        &self,
        session_id: &str,
        summary: Option<&str>,
        mode: Option<Mode>,
    ) -> Result<Ack, ClientError> {
        self.send(ClientFrame::Handoff {
            id: self.next_id(),
            session_id: session_id.to_owned(),
            summary: summary.map(str::to_owned),
            mode,
        })
        .await
    }

    /// The mode to offer first for the session, learned from how sessions
    /// about the same issue type ended (customers: their own session;
    /// agents, bots and supervisors: one they are in).
    pub async fn recommend_mode(
        &self,
        session_id: &str,
    ) -> Result<ModeRecommendation, ClientError> {
        let ack = self
            .send(ClientFrame::RecommendMode {
                id: self.next_id(),
                session_id: session_id.to_owned(),
            })
            .await?;
        ack.recommendation.ok_or_else(|| {
            ClientError::Protocol("recommend_mode ack without recommendation".into())
        })
    }

    /// Customers: "talk to an agent", optionally by voice or video.
    pub async fn request_agent(
        &self,
        session_id: &str,
        mode: Option<Mode>,
    ) -> Result<Ack, ClientError> {
        self.send(ClientFrame::RequestAgent {
            id: self.next_id(),
            session_id: session_id.to_owned(),
            mode,
        })
        .await
    }

    /// Customers: reports the page the visitor is on.
    pub async fn page_view(&self, page: &str, issue_type: Option<&str>) -> Result<(), ClientError> {
        self.send(ClientFrame::PageView {
            id: self.next_id(),
            page: page.to_owned(),
            issue_type: issue_type.map(str::to_owned),
        })
        .await
        .map(|_| ())
    }

    /// Services: invites a connected visitor; returns the invitation's id.
    pub async fn invite_visitor(
        &self,
        sub: &str,
        mode: Mode,
        topic: &str,
        context: Option<CustomerContext>,
    ) -> Result<String, ClientError> {
        let ack = self
            .send(ClientFrame::InviteVisitor {
                id: self.next_id(),
                sub: sub.to_owned(),
                mode,
                topic: topic.to_owned(),
                context,
            })
            .await?;
        ack.invitation_id
            .ok_or_else(|| ClientError::Protocol("invite ack without invitation_id".into()))
    }

    /// Customers: accepts an invitation (returns the new session) or declines it (`None`).
    pub async fn answer_invitation(
        &self,
        invitation_id: &str,
        accept: bool,
    ) -> Result<Option<SessionSnapshot>, ClientError> {
        let ack = self
            .send(ClientFrame::AnswerInvitation {
                id: self.next_id(),
                invitation_id: invitation_id.to_owned(),
                accept,
            })
            .await?;
        Ok(ack.session.map(|s| *s))
    }

    /// Customers: rates an ended session, 1 to 5, once.
    pub async fn rate_session(
        &self,
        session_id: &str,
        score: u8,
        comment: Option<&str>,
    ) -> Result<Ack, ClientError> {
        self.send(ClientFrame::RateSession {
            id: self.next_id(),
            session_id: session_id.to_owned(),
            score,
            comment: comment.map(str::to_owned),
        })
        .await
    }

    /// Replaces the connection's token; returns the new expiry.
    pub async fn refresh_token(&self, token: &str) -> Result<u64, ClientError> {
        let ack = self
            .send(ClientFrame::RefreshToken {
                id: self.next_id(),
                token: token.to_owned(),
            })
            .await?;
        ack.expires_at
            .ok_or_else(|| ClientError::Protocol("refresh ack without expires_at".into()))
    }

    /// Closes the connection; pending commands fail with [`ClientError::Shutdown`].
    pub fn close(&self) {
        let _ = self.requests.send(Request::Close);
    }
}

fn snapshot(ack: Ack) -> Result<SessionSnapshot, ClientError> {
    ack.session
        .map(|snapshot| *snapshot)
        .ok_or_else(|| ClientError::Protocol("ack without a session snapshot".into()))
}
