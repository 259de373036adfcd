// OpenSSL's TLS API (libssl: the server, and the URL fetcher's client with certificate
// verification) and its error queue.
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
