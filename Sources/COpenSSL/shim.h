// OpenSSL's TLS server API (libssl) and its error queue.
#include <openssl/ssl.h>
#include <openssl/err.h>
