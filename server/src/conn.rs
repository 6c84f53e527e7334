//! Per-connection control, so a fault rule can reset the connection a request came on:
//! every accepted stream is wrapped in [`ConnIo`], whose [`ConnTag`] reaches the request
//! as a `ConnectInfo` extension. Killing a connection sets `SO_LINGER` to 0 and fails the
//! next write, so hyper drops the socket and the kernel sends a TCP RST.
//!
//! Cost without faults: one small allocation per connection and one relaxed load per write.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

/// The shared switch of one connection.
#[derive(Debug, Default)]
pub(crate) struct ConnCtl {
    kill: AtomicBool,
}

/// The request extension naming the connection it arrived on.
#[derive(Debug, Clone)]
pub(crate) struct ConnTag(pub Arc<ConnCtl>);

impl ConnTag {
    /// Resets the connection: nothing more is written, the socket closes with an RST.
    pub(crate) fn kill(&self) {
        self.0.kill.store(true, Ordering::Release);
    }
}

/// Streams whose socket can be set to reset on close.
pub(crate) trait ZeroLinger {
    fn zero_linger(&self);
}

impl ZeroLinger for TcpStream {
    fn zero_linger(&self) {
        let _ = self.set_zero_linger();
    }
}

impl ZeroLinger for tokio_rustls::server::TlsStream<TcpStream> {
    fn zero_linger(&self) {
        let _ = self.get_ref().0.set_zero_linger();
    }
}

/// An accepted stream with its kill switch.
pub(crate) struct ConnIo<S> {
    inner: S,
    ctl: Arc<ConnCtl>,
}

impl<S: ZeroLinger> ConnIo<S> {
    fn killed(&self) -> bool {
        if self.ctl.kill.load(Ordering::Relaxed) {
            self.inner.zero_linger();
            true
        } else {
            false
        }
    }
}

fn reset() -> io::Error {
    io::Error::new(io::ErrorKind::ConnectionReset, "reset by a fault rule")
}

impl<S: AsyncRead + ZeroLinger + Unpin> AsyncRead for ConnIo<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if self.killed() {
            return Poll::Ready(Err(reset()));
        }
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + ZeroLinger + Unpin> AsyncWrite for ConnIo<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if self.killed() {
            return Poll::Ready(Err(reset()));
        }
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        if self.killed() {
            return Poll::Ready(Err(reset()));
        }
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.killed() {
            return Poll::Ready(Err(reset()));
        }
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// Wraps a listener so each connection gets a [`ConnCtl`].
pub(crate) struct ConnListener<L>(pub L);

impl<L> axum::serve::Listener for ConnListener<L>
where
    L: axum::serve::Listener<Addr = SocketAddr>,
    L::Io: ZeroLinger,
{
    type Io = ConnIo<L::Io>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        let (inner, addr) = self.0.accept().await;
        (
            ConnIo {
                inner,
                ctl: Arc::new(ConnCtl::default()),
            },
            addr,
        )
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.0.local_addr()
    }
}

impl<L> axum::extract::connect_info::Connected<axum::serve::IncomingStream<'_, ConnListener<L>>>
    for ConnTag
where
    L: axum::serve::Listener<Addr = SocketAddr>,
    L::Io: ZeroLinger,
{
    fn connect_info(stream: axum::serve::IncomingStream<'_, ConnListener<L>>) -> Self {
        ConnTag(stream.io().ctl.clone())
    }
}
