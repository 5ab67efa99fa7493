case $0 in
  */*) dir=${0%/*} ;;
  *) dir=. ;;
esac
