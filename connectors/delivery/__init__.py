"""Code senders (`bot.kernel.delivery.CodeSender`): e-mail over SMTP, SMS through a provider,
and the demo inbox of development."""
