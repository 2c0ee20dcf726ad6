#!/bin/sh
# A certificate and key for trying ClusterLite's nginx over HTTPS, signed by a throwaway CA.
#
#   npm run tls:selfsigned                          # .cluster/tls, for localhost and 127.0.0.1
#   npm run tls:selfsigned -- nginx/certs db.example.internal
#   sh scripts/selfsigned-cert.sh DIR [DNS name ...]
#
# Writes DIR/tls.crt and DIR/tls.key (nginx: TLS_CERT_FILE, TLS_KEY_FILE) and DIR/ca.pem, the CA
# clients trust (curl --cacert DIR/ca.pem, NODE_EXTRA_CA_CERTS=DIR/ca.pem). Never for production.
set -eu
dir=${1:-.cluster/tls}
[ $# -gt 0 ] && shift
san="DNS:localhost,IP:127.0.0.1"
for name in "$@"; do san="$san,DNS:$name"; done

mkdir -p "$dir"
umask 077
openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=ClusterLite local CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
  -keyout "$dir/ca.key" -out "$dir/ca.pem" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" \
  -keyout "$dir/tls.key" -out "$dir/tls.csr" 2>/dev/null
printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth\n' "$san" > "$dir/tls.ext"
openssl x509 -req -in "$dir/tls.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -CAcreateserial \
  -days 30 -extfile "$dir/tls.ext" -out "$dir/tls.crt" 2>/dev/null
rm -f "$dir/tls.csr" "$dir/tls.ext" "$dir/ca.srl"
# Keys stay private (nginx's master process reads tls.key before it drops privileges).
chmod 644 "$dir/tls.crt" "$dir/ca.pem"
echo "Wrote $dir/tls.crt and $dir/tls.key ($san), signed by $dir/ca.pem"
