#!/bin/sh
# TLS in front of MinIO for pgBackRest, which will not speak plain HTTP to S3. The certificate
# is made once, for the name the backup traffic uses (s3-tls), and kept in the s3certs volume,
# where PostgreSQL and the backup service read it to check whom they talk to.
set -eu
dir=/etc/xiangzhi-s3
if [ ! -s "$dir/s3.crt" ]; then
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj /CN=s3-tls \
    -addext subjectAltName=DNS:s3-tls -keyout "$dir/s3.key" -out "$dir/s3.crt"
  chmod 600 "$dir/s3.key"
  chmod 644 "$dir/s3.crt"
fi
cat > /tmp/stunnel.conf <<CONF
foreground = yes
pid =
[s3]
accept = 9443
connect = s3:9000
cert = $dir/s3.crt
key = $dir/s3.key
CONF
exec stunnel /tmp/stunnel.conf
