from django.core.management.base import BaseCommand

from delivery import webpush


class Command(BaseCommand):
    help = "Make the VAPID key pair for Web Push once (never replaces one), and print its public key."

    def handle(self, *args, **options):
        made = webpush.create_keys()
        where = webpush.key_file()
        self.stdout.write(f"{'Made' if made else 'Kept the existing'} VAPID key: {where}")
        self.stdout.write(f"Public key: {webpush.public_key()}")
