import { generateKeyPair, KEY_ALG, privateKeyToPem, x509 } from './x509.js';

/** An agent's new key and the PKCS#10 request for it (CN = host id). */
export async function createKeyAndCsr(hostId: string): Promise<{ keyPem: string; csrPem: string }> {
  const keys = await generateKeyPair();
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: `CN=${hostId}`,
    keys,
    signingAlgorithm: KEY_ALG,
    extensions: [new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: hostId }])],
  });
  return { keyPem: await privateKeyToPem(keys.privateKey), csrPem: csr.toString('pem') };
}
