package dev.bkd.serve;

import java.io.IOException;
import java.nio.ByteBuffer;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.BufferUtil;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells when the client of a long request closes its connection. Jetty reads nothing from a connection while a
 * request on it is being handled, so a client that gives up is only noticed when the answer is written, after the
 * whole generation ran (measured: Request failure listeners fire only then). Here we ask the connection to report
 * readability once the body has been read; end-of-stream then means the client left. Bytes that arrive instead
 * (a pipelined request) cannot be handed back to Jetty, so the answer closes the connection
 * ({@code Connection: close}), which also means no one else registers read interest before ours is dropped.
 */
final class ClientGone {
    private static final Logger LOG = LoggerFactory.getLogger(ClientGone.class);

    private ClientGone() {}

    /** Calls {@code onGone} once if the client closes the connection before the answer; the body must be read. */
    static void watch(Request request, Response response, Runnable onGone) {
        response.getHeaders().put(HttpHeader.CONNECTION, "close");
        EndPoint endPoint = request.getConnectionMetaData().getConnection().getEndPoint();
        Callback readable = new Callback() {
            @Override
            public void succeeded() {
                ByteBuffer buf = BufferUtil.allocate(256);
                try {
                    if (endPoint.fill(buf) < 0) {
                        onGone.run();
                        return;
                    }
                } catch (IOException e) {
                    onGone.run();
                    return;
                }
                if (endPoint.isOpen() && !endPoint.tryFillInterested(this)) {
                    LOG.debug("cannot watch {} any longer", endPoint);
                }
            }

            @Override
            public void failed(Throwable x) {
                // the connection closed: after our answer this is normal, before it the client left
                if (!response.isCommitted()) {
                    onGone.run();
                }
            }
        };
        if (!endPoint.tryFillInterested(readable)) {
            LOG.debug("{} is already read-interested; a disconnect is noticed only when answering", endPoint);
        }
    }
}
