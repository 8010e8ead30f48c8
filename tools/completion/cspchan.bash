# SPDX-License-Identifier: GPL-2.0
# bash completion for cspchan(1): commands, each command's options, and
# channel names from /proc/cspchan.

_cspchan_names()
{
	# Skip the header and anonymous channels ("-").
	awk 'NR > 1 && $2 != "-" { print $2 }' "${CSPCHAN_PROC:-/proc/cspchan}" 2>/dev/null
}

_cspchan()
{
	local cur prev words cword
	if declare -F _init_completion >/dev/null; then
		_init_completion || return
	else
		cur=${COMP_WORDS[COMP_CWORD]}
		prev=${COMP_WORDS[COMP_CWORD - 1]}
		words=("${COMP_WORDS[@]}")
		cword=$COMP_CWORD
	fi

	local commands="create send recv shutdown rm stat ls watch pace bridge help"
	local cmd="" i
	for ((i = 1; i < cword; i++)); do
		if [[ ${words[i]} != -* ]]; then
			cmd=${words[i]}
			break
		fi
	done

	if [[ -z $cmd ]]; then
		COMPREPLY=($(compgen -W "$commands -h --help -V --version" -- "$cur"))
		return
	fi

	# argopts: the options that take an argument.
	local opts="" argopts="" names=1
	case $cmd in
	create)
		opts="-c --capacity -s --size -m --mode --autoclose -x --excl --lease --lease-ms --max-deliveries --dead-letter --rate --burst --reply -h --help"
		argopts="-c --capacity -s --size -m --mode --lease-ms --max-deliveries --dead-letter --rate --burst"
		names=0	# NAME is a new name
		# --dead-letter's argument is an existing channel.
		if [[ $prev == --dead-letter ]]; then
			COMPREPLY=($(compgen -W "$(_cspchan_names)" -- "$cur"))
			return
		fi
		;;
	send)
		opts="-0 --null -r --record -t --timeout --shutdown -h --help"
		argopts="-r --record -t --timeout"
		;;
	recv)
		opts="-n --count -t --timeout -r --raw -0 --null -m --meta -h --help"
		argopts="-n --count -t --timeout"
		;;
	shutdown)
		opts="-h --help"
		;;
	rm)
		opts="-f --force -h --help"
		;;
	stat)
		opts="-j --json -h --help"
		;;
	ls)
		opts="-j --json -p --prometheus -h --help"
		names=0
		;;
	pace)
		opts="-h --help"	# NAME RATE[/s] [BURST]: only NAME is completed
		;;
	bridge)
		opts="-w --window -t --timeout -d --drain -D --dead-letter -s --stats -m --metrics -n --name -h --help"
		argopts="-w --window -t --timeout -d --drain -s --stats -m --metrics -n --name"
		;;
	watch)
		opts="-i --interval -c --count -h --help"
		argopts="-i --interval -c --count"
		names=0
		;;
	help)
		((cword == i + 1)) && COMPREPLY=($(compgen -W "${commands% help}" -- "$cur"))
		return
		;;
	*)
		return
		;;
	esac

	# An option's argument: nothing sensible to offer.
	if [[ " $argopts " == *" $prev "* ]]; then
		return
	fi

	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$opts" -- "$cur"))
		return
	fi

	# The channel NAME: the first operand (send's later ones are messages).
	local operands=0
	for ((i = i + 1; i < cword; i++)); do
		[[ ${words[i]} == -* ]] && continue
		if [[ " $argopts " == *" ${words[i - 1]} "* ]]; then
			continue
		fi
		operands=$((operands + 1))
	done
	case $cmd in
	shutdown|rm) ;;			# NAME...
	*) ((operands > 0)) && return ;;
	esac
	((names)) && COMPREPLY=($(compgen -W "$(_cspchan_names)" -- "$cur"))
}

complete -F _cspchan cspchan
