#!/bin/sh
# Generates the simulator's certificate fixtures (run once; the DER files are committed).
set -eu
cat > ca.cnf <<'CNF'
[ca]
default_ca = sim
[sim]
dir = .
database = index.txt
new_certs_dir = .
serial = serial
default_md = sha256
policy = any
unique_subject = no
copy_extensions = copy
[any]
countryName = optional
stateOrProvinceName = optional
localityName = optional
organizationName = optional
commonName = supplied
[root_ext]
basicConstraints = critical,CA:true
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[int_ext]
basicConstraints = critical,CA:true,pathlen:0
keyUsage = critical,digitalSignature,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[leaf_ext]
basicConstraints = critical,CA:false
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[self_ext]
basicConstraints = critical,CA:true
subjectKeyIdentifier = hash
CNF
: > index.txt
echo 1000 > serial
# Root CA (RSA 2048, 2024-2036), self-signed.
openssl genrsa -out root.key 2048
openssl req -new -key root.key -subj "/C=US/O=Simulated Trust Services/CN=Simulated Root CA X1" -out root.csr
openssl ca -batch -config ca.cnf -selfsign -keyfile root.key -in root.csr -extensions root_ext \
  -startdate 20240101000000Z -enddate 20360101000000Z -notext -out root.pem
# Issuing CA (RSA 2048), signed by the root.
openssl genrsa -out int.key 2048
openssl req -new -key int.key -subj "/C=US/O=Simulated Trust Services/CN=Simulated TLS Issuing CA R3" -out int.csr
openssl ca -batch -config ca.cnf -cert root.pem -keyfile root.key -in int.csr -extensions int_ext \
  -startdate 20240601000000Z -enddate 20300601000000Z -notext -out int.pem
openssl x509 -in int.pem -outform DER -out issuing-ca.der
# Leaves for the TLS 1.2 sites, signed by the issuing CA (one year, covering 2026).
leaf() { # name kind cn sans
  if [ "$2" = ec ]; then openssl ecparam -name prime256v1 -genkey -noout -out "$1.key";
  else openssl genrsa -out "$1.key" 2048; fi
  openssl req -new -key "$1.key" -subj "/CN=$3" -addext "subjectAltName=$4" -out "$1.csr"
  openssl ca -batch -config ca.cnf -cert int.pem -keyfile int.key -in "$1.csr" -extensions leaf_ext \
    -startdate 20260105000000Z -enddate 20270105235959Z -notext -out "$1.pem"
  openssl x509 -in "$1.pem" -outform DER -out "$1.der"
}
leaf github ec github.com "DNS:github.com,DNS:www.github.com"
leaf githubusercontent rsa "*.githubusercontent.com" "DNS:*.githubusercontent.com,DNS:githubusercontent.com"
leaf lemonde rsa www.lemonde.fr "DNS:www.lemonde.fr,DNS:lemonde.fr"
leaf bbc rsa www.bbc.co.uk "DNS:www.bbc.co.uk,DNS:bbc.co.uk,DNS:*.bbc.co.uk"
leaf windowsupdate rsa "*.update.microsoft.com" "DNS:*.update.microsoft.com,DNS:*.delivery.mp.microsoft.com,DNS:*.windowsupdate.com"
# The attack's self-signed leaf (openssl's default DN, as quickly made C2 certificates have).
openssl genrsa -out selfsigned.key 2048
openssl req -new -key selfsigned.key -subj "/C=AU/ST=Some-State/O=Internet Widgits Pty Ltd/CN=localhost" -out selfsigned.csr
openssl ca -batch -config ca.cnf -selfsign -keyfile selfsigned.key -in selfsigned.csr -extensions self_ext \
  -startdate 20260201000000Z -enddate 20270201000000Z -notext -out selfsigned.pem
openssl x509 -in selfsigned.pem -outform DER -out selfsigned.der
