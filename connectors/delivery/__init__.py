"""Code senders (`bot.kernel.delivery.CodeSender`): e-mail over SMTP, SMS through an HTTP
provider, the demo inbox."""
