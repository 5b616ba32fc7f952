// The machine runs Node 20, which the AWS SDK warns about on every client; the deployed runtime is Node 24.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
