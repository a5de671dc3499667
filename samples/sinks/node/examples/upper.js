// A JavaScript function: reads its whole payload from stdin and answers it upper-cased.
const chunks = [];
process.stdin.on('data', (chunk) => chunks.push(chunk));
process.stdin.on('end', () => {
  const text = Buffer.concat(chunks).toString('utf8');
  console.error(`upper: ${text.length} characters for ${process.env.FAAS_FUNCTION} (${process.env.FAAS_EXECUTION_ID})`);
  process.stdout.write(text.toUpperCase());
});
