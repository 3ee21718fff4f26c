#ifndef VPPGATEWAY_CMICROHTTPD_SHIM_H
#define VPPGATEWAY_CMICROHTTPD_SHIM_H
/*
 * libmicrohttpd for Swift. Swift does not import C variadic functions, so the
 * few variadic entry points the HTTPServer module needs are wrapped here in
 * small non-variadic inline functions. The TLS client-certificate check lives
 * here too: it is plain GnuTLS calls on the session MHD hands out, simpler and
 * safer to express in C than through Swift's pointer types.
 */
#include <stdarg.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <microhttpd.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

/* MHD_start_daemon with every option passed through one MHD_OPTION_ARRAY. */
static inline struct MHD_Daemon *
vppgw_start_daemon (unsigned int flags,
                    uint16_t port,
                    MHD_AcceptPolicyCallback accept_policy,
                    void *accept_policy_cls,
                    MHD_AccessHandlerCallback handler,
                    void *handler_cls,
                    const struct MHD_OptionItem *options)
{
  return MHD_start_daemon (flags, port, accept_policy, accept_policy_cls,
                           handler, handler_cls,
                           MHD_OPTION_ARRAY, options,
                           MHD_OPTION_END);
}

/* The port the daemon is bound to (useful when it was asked for port 0). */
static inline uint16_t
vppgw_daemon_port (struct MHD_Daemon *daemon)
{
  const union MHD_DaemonInfo *info
    = MHD_get_daemon_info (daemon, MHD_DAEMON_INFO_BIND_PORT);
  return (NULL == info) ? 0 : info->port;
}

/* The peer's socket address, or NULL. */
static inline const struct sockaddr *
vppgw_client_address (struct MHD_Connection *connection)
{
  const union MHD_ConnectionInfo *info
    = MHD_get_connection_info (connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
  return (NULL == info) ? NULL : info->client_addr;
}

/* The connection's socket, or -1. */
static inline int
vppgw_connection_fd (struct MHD_Connection *connection)
{
  const union MHD_ConnectionInfo *info
    = MHD_get_connection_info (connection, MHD_CONNECTION_INFO_CONNECTION_FD);
  return (NULL == info) ? -1 : info->connect_fd;
}

/*
 * Sends `response` with a body that ends when the connection closes: still an
 * HTTP/1.1 status line, with "Connection: close" and no chunked encoding
 * (MHD_RF_HTTP_1_0_COMPATIBLE_STRICT). Returns 1 on success.
 */
static inline int
vppgw_response_ends_with_connection (struct MHD_Response *response)
{
  return MHD_YES == MHD_set_response_options (response,
                                              MHD_RF_HTTP_1_0_COMPATIBLE_STRICT,
                                              MHD_RO_END);
}

/*
 * Verifies the TLS client certificate of a connection against the trust list
 * the daemon was given (MHD_OPTION_HTTPS_MEM_TRUST) and copies its subject DN
 * (RFC 4514) into `dn` (NUL-terminated, truncated to `dn_capacity`).
 * Returns 1 when a certificate was presented and verified, 0 when none was
 * presented (or the connection is not TLS), -1 when one was presented but
 * failed verification.
 */
static inline int
vppgw_verify_client_certificate (struct MHD_Connection *connection,
                                 char *dn,
                                 size_t dn_capacity)
{
  const union MHD_ConnectionInfo *info;
  gnutls_session_t session;
  const gnutls_datum_t *peers;
  unsigned int peer_count = 0;
  unsigned int status = 0;
  gnutls_x509_crt_t certificate;
  gnutls_datum_t subject;

  if ((NULL != dn) && (0 < dn_capacity))
    dn[0] = '\0';
  info = MHD_get_connection_info (connection,
                                  MHD_CONNECTION_INFO_GNUTLS_SESSION);
  if ((NULL == info) || (NULL == info->tls_session))
    return 0;
  session = (gnutls_session_t) info->tls_session;
  if (GNUTLS_CRT_X509 != gnutls_certificate_type_get (session))
    return 0;
  peers = gnutls_certificate_get_peers (session, &peer_count);
  if ((NULL == peers) || (0 == peer_count))
    return 0;
  if ((GNUTLS_E_SUCCESS != gnutls_certificate_verify_peers2 (session, &status))
      || (0 != status))
    return -1;
  if (GNUTLS_E_SUCCESS != gnutls_x509_crt_init (&certificate))
    return -1;
  if (GNUTLS_E_SUCCESS != gnutls_x509_crt_import (certificate, &peers[0],
                                                  GNUTLS_X509_FMT_DER))
  {
    gnutls_x509_crt_deinit (certificate);
    return -1;
  }
  if (GNUTLS_E_SUCCESS == gnutls_x509_crt_get_dn2 (certificate, &subject))
  {
    if ((NULL != dn) && (0 < dn_capacity))
    {
      size_t n = subject.size < dn_capacity - 1 ? subject.size : dn_capacity - 1;
      memcpy (dn, subject.data, n);
      dn[n] = '\0';
    }
    gnutls_free (subject.data);
  }
  gnutls_x509_crt_deinit (certificate);
  return 1;
}

#endif
