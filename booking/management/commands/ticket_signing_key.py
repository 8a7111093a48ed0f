import base64
import secrets

from django.core.management.base import BaseCommand

from booking.tickets import verification_key_text


class Command(BaseCommand):
    help = (
        "Print the public key that verifies the tickets' QR codes (Ed25519, base64 of its 32 raw "
        "bytes), for door scanners that check tickets offline. With --new, print a new private "
        "key for TICKET_SIGNING_KEY instead: once it is set, the QR codes of tickets sold before no "
        "longer verify (their plain codes still check in), so re-send their confirmations."
    )

    def add_arguments(self, parser):
        parser.add_argument("--new", action="store_true", help="Make a new private key.")

    def handle(self, *args, new=False, **options):
        if new:
            self.stdout.write(
                f"TICKET_SIGNING_KEY={base64.b64encode(secrets.token_bytes(32)).decode()}"
            )
        else:
            self.stdout.write(verification_key_text())
