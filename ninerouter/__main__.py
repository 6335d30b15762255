from ninerouter.cli import main

main()
